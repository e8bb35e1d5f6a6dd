using System.Collections.Concurrent;
using System.Net;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Fabric.Ovs;
using Provisioner.Host.Iproute;
using Provisioner.Host.Processes;
using Provisioner.Netns.Layers;
using RuleBackend = Provisioner.ServiceRules.Applying.RuleBackend;
using RulePlan = Provisioner.ServiceRules.Applying.RulePlan;
using Provisioner.ServiceRules.Policy;
using Provisioner.StackRules;

namespace Provisioner.Netns.Policy;

/// <summary>
/// A node's NetworkPolicy rules (<see cref="StepKind.NetworkPolicy"/>): the stack's policies resolved against the
/// pods' addresses (<see cref="StackPolicyTable"/>), kept by a <see cref="PolicyRulesApplier"/> in the node's
/// namespace with the stack's rule backend. Pod traffic must reach the node's forward hook: on the Linux-bridge
/// fabrics br_netfilter's <c>bridge-nf-call-iptables</c> (per namespace) sends bridged frames there; on OVS
/// <see cref="OvsPolicyPath"/> routes same-node pod traffic through the node. Runs after the pods (it needs their addresses).
/// </summary>
public sealed class NetworkPolicyLayer(LabPlan plan, LabLayout layout, ProcessRunner run, Func<string, IPAddress?> podAddress) : IStepLayer
{
    public const string BridgeNfCall = "net.bridge.bridge-nf-call-iptables";

    private readonly ConcurrentDictionary<string, PolicyRulesApplier> _appliers = new(StringComparer.Ordinal);

    private bool Ovs => plan.Lab.Network.Fabric == FabricKind.OvsVxlan;

    public PolicyTable Table() => StackPolicyTable.Build(plan.Lab, podAddress);

    public async Task<IReadOnlyList<Change>> PlanAsync(PlanStep step, CancellationToken ct)
    {
        var node = step.Node!;
        var netns = layout.NodeNamespace(node);
        var table = Table();
        var wanted = !table.Pods.IsEmpty;
        var policyNode = StackPolicyTable.Node(plan, node);
        var applier = ApplierFor(node);
        if (!Namespaces.Exists(netns))
            return wanted ? [new Change(step.Id, $"NetworkPolicy rules for {table.Pods.Length} isolated pods in {netns}", c => ApplyAllAsync(node, table, c))] : [];
        var changes = new List<Change>();
        if (wanted && !Ovs && await SysctlAsync(netns, BridgeNfCall, ct).ConfigureAwait(false) != "1")
            changes.Add(new Change(step.Id, $"sysctl {BridgeNfCall}=1 (bridged pod traffic meets the policy rules)",
                c => run.RunAsync(NetnsExec.Ip, NetnsExec.Command(netns, ["sysctl", "-qw", BridgeNfCall + "=1"]), cancellationToken: c)));
        if (Ovs)
        {
            var path = OvsPath(node);
            var drift = await path.DriftAsync(wanted, ct).ConfigureAwait(false);
            if (drift.Count > 0)
                changes.Add(new Change(step.Id, "same-node pod traffic through the node: " + string.Join("; ", drift), c => path.ApplyAsync(wanted, c)));
        }
        var proof = ProofFor(node);
        var digest = Digest(table, policyNode);
        if (proof?.Holds(digest) == true)
            return changes; // the kernel proves it still holds the rules a read found (or an apply wrote) before
        var before = proof?.Generation();
        var rules = await applier.PlanAsync(table, policyNode, ct).ConfigureAwait(false);
        var read = proof?.Generation() is { } after && after == before ? after : (Host.Netlink.NfTablesGeneration?)null;
        proof?.Record(digest, rules.HasChanges ? null : read);
        if (rules.HasChanges)
            changes.Add(new Change(step.Id, Indent(rules.Describe(maxLines: 8)).TrimStart(), c => ApplyAsync(applier, rules, proof, digest, read, c)));
        return changes;
    }

    public async Task RemoveAsync(PlanStep step, CancellationToken ct)
    {
        var node = step.Node!;
        if (!Namespaces.Exists(layout.NodeNamespace(node)))
            return;
        await ApplierFor(node).RemoveAsync(StackPolicyTable.Node(plan, node), ct).ConfigureAwait(false);
        if (Ovs)
            await OvsPath(node).ApplyAsync(wanted: false, ct).ConfigureAwait(false);
    }

    private async Task ApplyAllAsync(string node, PolicyTable table, CancellationToken ct)
    {
        if (Ovs)
            await OvsPath(node).ApplyAsync(wanted: true, ct).ConfigureAwait(false);
        else
            await run.RunAsync(NetnsExec.Ip, NetnsExec.Command(layout.NodeNamespace(node), ["sysctl", "-qw", BridgeNfCall + "=1"]), cancellationToken: ct).ConfigureAwait(false);
        await ApplierFor(node).SyncAsync(table, StackPolicyTable.Node(plan, node), ct).ConfigureAwait(false);
    }

    /// <summary>Applies a plan made against the kernel at generation <paramref name="planned"/>; the rules are proven
    /// when the kernel was still there and the apply's one transaction is all that moved it.</summary>
    private static async Task ApplyAsync(PolicyRulesApplier applier, RulePlan rules, RulesProof? proof, string digest,
        Host.Netlink.NfTablesGeneration? planned, CancellationToken ct)
    {
        var before = proof?.Generation();
        await applier.ApplyAsync(rules, ct).ConfigureAwait(false);
        var after = proof?.Generation();
        proof?.Record(digest, planned is { } p && before == p && after is { } a && a.Namespace == p.Namespace && a.Id == p.Id + 1 ? a : null);
    }

    /// <summary>Where nf_tables can prove the node's policy rules unchanged (not iptables-legacy: x_tables has no generation).</summary>
    private RulesProof? ProofFor(string node) => Backend == RuleBackend.IptablesLegacy ? null
        : new RulesProof(layout.NodeDirectory(node), layout.NodeNamespace(node), "policy-rules");

    private string Digest(PolicyTable table, PolicyNode node) => Backend == RuleBackend.Nftables
        ? RulesProof.Digest("nftables", PolicyNftCompiler.Compile(table, node) ?? "")
        : RulesProof.Digest(Backend.ToString(), PolicyIptablesCompiler.RestorePayload(PolicyIptablesCompiler.Compile(table, node), [], 0));

    private RuleBackend Backend => StackServiceTable.Backend(plan.Lab.Network.ServiceRules);

        private OvsPolicyPath OvsPath(string node) =>
        new(layout.NodeNamespace(node), layout.OvsDirectory(node), plan.Addresses.Node(node).PodSubnet.ToString(), run);

    private PolicyRulesApplier ApplierFor(string node) =>
        _appliers.GetOrAdd(node, n => new PolicyRulesApplier(Backend, layout.NodeNamespace(n), run,
            cacheDirectory: Path.Combine(layout.NodeDirectory(n), "policy")));

    private async Task<string> SysctlAsync(string netns, string key, CancellationToken ct) =>
        (await run.TryRunAsync(NetnsExec.Ip, NetnsExec.Command(netns, ["sysctl", "-n", key]), cancellationToken: ct).ConfigureAwait(false)).StandardOutput.Trim();

    private static string Indent(string text) =>
        string.Join(Environment.NewLine, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => "    " + l.TrimEnd()));
}
