using System.Diagnostics;
using System.Text.Json;
using Prometheus;
using Provisioner.Proxy.Config;
using Provisioner.Proxy.Health;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Policy;

namespace Provisioner.Proxy.Policy;

/// <summary>Programs a node's policy rules to a table: <see cref="PolicyRulesApplier.SyncAsync"/> (plan against the kernel, one transaction).</summary>
public delegate Task<RulePlan> PolicyProgrammer(PolicyTable table, PolicyNode node, CancellationToken ct);

/// <summary>
/// Brings the OVS fabric's same-node path (<see cref="Provisioner.Fabric.Ovs.OvsPolicyPath"/>) to <paramref name="wanted"/>
/// on <paramref name="node"/>, checked against the bridge; returns what it changed (drift lines, empty when nothing).
/// </summary>
public delegate Task<IReadOnlyList<string>> SameNodePath(PolicyNode node, bool wanted, CancellationToken ct);

/// <summary>
/// One NetworkPolicy sync, as its bounded-frequency runner calls it: the tracker's table, this node's part of it
/// (<see cref="PolicyPlacement"/>: egress of its own pods, ingress of every isolated pod), and the applier. When that
/// part is what was last programmed, a partial sync touches the kernel not at all; the periodic full sync plans
/// against the kernel and so repairs drift. A failed sync forgets what was programmed, so its retry writes. On the OVS
/// fabric (<paramref name="sameNode"/> given) same-node pod traffic goes through the node while this node has a part.
/// </summary>
public sealed class PolicyController(
    string nodeName, ProxyConfigFile config, PolicyTracker tracker, Func<string?> apiPodCidr, PolicyProgrammer program, ProxyMetrics metrics, Action<string> log,
    SameNodePath? sameNode = null)
{
    private string? _programmed;
    private bool _reportedNoPodCidr;
    private bool _first = true;

    /// <summary>Syncs that reached the applier (tests: an unchanged table must not).</summary>
    public int Programmed { get; private set; }

    public async Task SyncAsync(bool full, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var snapshot = tracker.Snapshot();
        var snapshotTime = clock.Elapsed;
        foreach (var reason in snapshot.SkipReasons)
        {
            log(reason);
            metrics.Skipped.Inc();
        }
        metrics.NetworkPolicies.Set(snapshot.Policies);
        metrics.IsolatedPods.Set(snapshot.Table.Pods.Length);
        if ((config.PodCidr ?? apiPodCidr()) is not { } podCidr)
        {
            if (!_reportedNoPodCidr)
                log($"NetworkPolicies are not enforced on {nodeName}: its pod subnet is unknown (no podCIDR in --config, no spec.podCIDR on its Node)");
            _reportedNoPodCidr = true;
            return;
        }
        var node = new PolicyNode(nodeName, podCidr, config.ClusterCidr);
        var part = NodePart(snapshot.Table, node);
        if (!full && part == _programmed)
            return;
        var kind = full ? "full" : "partial";
        try
        {
            var plan = await program(snapshot.Table, node, ct).ConfigureAwait(false);
            var hasPart = HasPart(snapshot.Table, node);
            if (sameNode is not null && await sameNode(node, hasPart, ct).ConfigureAwait(false) is { Count: > 0 } path)
                log($"same-node pod traffic {(hasPart ? "now goes through the node for its policy rules" : "is switched by the bridge again")}: " +
                    string.Join(", ", path));
            _programmed = part;
            Programmed++;
            metrics.PolicySyncDuration.WithLabels(kind).Observe(clock.Elapsed.TotalSeconds);
            metrics.PolicySyncs.WithLabels(kind).Inc();
            metrics.PolicyRuleChanges.WithLabels("add").Inc(plan.Added);
            metrics.PolicyRuleChanges.WithLabels("remove").Inc(plan.Removed);
            metrics.PolicyLastSync.SetToCurrentTimeUtc();
            if (plan.HasChanges || _first)
                log($"policy {kind} sync: {snapshot.Policies} NetworkPolicies, {snapshot.Pods} pods, {snapshot.Table.Pods.Length} isolated; " +
                    $"{(plan.HasChanges ? $"{plan.Added} rule lines added, {plan.Removed} removed" : "the kernel already held them")} " +
                    $"in {clock.Elapsed.TotalMilliseconds:0} ms (snapshot {snapshotTime.TotalMilliseconds:0} ms)");
            _first = false;
        }
        catch
        {
            _programmed = null;
            metrics.PolicyErrors.Inc();
            throw;
        }
    }

    /// <summary>Whether this node has policy rules to program: then its same-node pod traffic must meet them.</summary>
    internal static bool HasPart(PolicyTable table, PolicyNode node) =>
        PolicyPlacement.Ingress(table).Any() || PolicyPlacement.EgressHere(table, node).Any();

    /// <summary>What this node programs, as text: the node, every isolated pod's ingress, and its own pods' egress.</summary>
    internal static string NodePart(PolicyTable table, PolicyNode node) => JsonSerializer.Serialize(new
    {
        node,
        ingress = PolicyPlacement.Ingress(table).Select(p => new { p.Pod, p.Address, p.Node, p.Ingress }),
        egress = PolicyPlacement.EgressHere(table, node).Select(p => new { p.Pod, p.Address, p.Egress }),
    });
}
