using System.Collections.Concurrent;
using System.Net;
using Provisioner.Core.Planning;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Sources;
using Provisioner.StackRules;

namespace Provisioner.Netns.Layers;

/// <summary>
/// A node's Service rules, applied inside its namespace by the same engine a VM node and netlab-proxy use: one
/// <see cref="ServiceRulesEngine"/> per node, whose state file lets a later <c>netlab plan</c>/<c>up</c> skip reading the
/// kernel while the nf_tables generation proves nothing changed (and read it, seeing any drift, as soon as it moved).
/// Endpoints are the pods attached so far, so this layer runs after the pods.
/// </summary>
public sealed class ServiceRulesLayer(LabPlan plan, LabLayout layout, Func<string, IPAddress?> podAddress) : IStepLayer
{
    private readonly ConcurrentDictionary<string, ServiceRulesEngine> _engines = new(StringComparer.Ordinal);

    private RuleBackend Backend => StackServiceTable.Backend(plan.Lab.Network.ServiceRules);

    public async Task<IReadOnlyList<Change>> PlanAsync(PlanStep step, CancellationToken ct)
    {
        var node = plan.Addresses.Node(step.Node!);
        var netns = layout.NodeNamespace(node.Node.Name);
        var engine = EngineFor(node.Node.Name);
        var table = Core.Diagnostics.PhaseTimer.Time("service rules: the stack's service table", () => StackServiceTable.Build(plan, podAddress));
        var context = StackServiceTable.Node(plan, node.Node.Name, node.UnderlayAddress);
        if (!Namespaces.Exists(netns))
            return [new Change(step.Id, $"{plan.Lab.Services.Length} services as {Backend} rules in {netns}", c => SyncAsync(engine, node.Node.Name, table, context, c))];
        RulePlan rules;
        using (Core.Diagnostics.PhaseTimer.Start("service rules: engine plan"))
            rules = (await engine.PlanAsync(table, context, ct).ConfigureAwait(false)).Plan;
        return rules.HasChanges
            ? [new Change(step.Id, Indent(rules.Describe(maxLines: 6)).TrimStart(), c => SyncAsync(engine, node.Node.Name, table, context, c))]
            : [];
    }

    /// <summary>Syncs, and records the generation move the engine proved its own, so other rules' proofs
    /// (<see cref="RulesProof"/>: the node's policy rules) carry over it.</summary>
    private async Task SyncAsync(ServiceRulesEngine engine, string node, ServiceTable table, NodeContext context, CancellationToken ct)
    {
        RulesProof.RecordServiceMove(layout.NodeDirectory(node), null, null); // no proof across an apply that may fail half-way
        var result = await engine.SyncAsync(table, context, ct).ConfigureAwait(false);
        RulesProof.RecordServiceMove(layout.NodeDirectory(node), result.AppliedFrom, result.Generation);
    }

    public async Task RemoveAsync(PlanStep step, CancellationToken ct)
    {
        var netns = layout.NodeNamespace(step.Node!);
        if (Namespaces.Exists(netns))
            await EngineFor(step.Node!).RemoveAsync(ct).ConfigureAwait(false);
    }

    private ServiceRulesEngine EngineFor(string node) => _engines.GetOrAdd(node, n =>
        new ServiceRulesEngine(Backend, layout.NodeNamespace(n), new ServiceRulesEngineOptions { StateFile = layout.ServiceRulesStatePath(n) }));

    private static string Indent(string text) =>
        string.Join(Environment.NewLine, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => "    " + l.TrimEnd()));
}
