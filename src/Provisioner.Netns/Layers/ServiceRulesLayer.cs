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
        var inputs = new ServiceRulesInputs(layout.NodeDirectory(node.Node.Name), Inputs(node.Node.Name));
        if (Namespaces.Exists(netns) && inputs.Unchanged(engine))
            return []; // the table is the one last applied, and the kernel's generation proves it still holds it
        var table = Core.Diagnostics.PhaseTimer.Time("service rules: the stack's service table", () => StackServiceTable.Build(plan, podAddress));
        var context = StackServiceTable.Node(plan, node.Node.Name, node.UnderlayAddress);
        if (!Namespaces.Exists(netns))
            return [new Change(step.Id, $"{plan.Lab.Services.Length} services as {Backend} rules in {netns}", c => SyncAsync(engine, inputs, table, context, c))];
        SyncResult planned;
        using (Core.Diagnostics.PhaseTimer.Start("service rules: engine plan"))
            planned = await engine.PlanAsync(table, context, ct).ConfigureAwait(false);
        if (!planned.Plan.HasChanges && planned.Kind == SyncKind.Partial)
            inputs.Record(engine); // the state file names this very table, proven by the generation: the next run need not build it
        return planned.Plan.HasChanges
            ? [new Change(step.Id, Indent(planned.Plan.Describe(maxLines: 6)).TrimStart(), c => SyncAsync(engine, inputs, table, context, c))]
            : [];
    }

    /// <summary>Syncs, and records the generation move the engine proved its own, so other rules' proofs
    /// (<see cref="RulesProof"/>: the node's policy rules) carry over it.</summary>
    private async Task SyncAsync(ServiceRulesEngine engine, ServiceRulesInputs inputs, ServiceTable table, NodeContext context, CancellationToken ct)
    {
        RulesProof.RecordServiceMove(inputs.NodeDirectory, null, null); // no proof across an apply that may fail half-way
        inputs.Forget();
        var result = await engine.SyncAsync(table, context, ct).ConfigureAwait(false);
        RulesProof.RecordServiceMove(inputs.NodeDirectory, result.AppliedFrom, result.Generation);
        inputs.Record(engine);
    }

    /// <summary>Everything the node's service table is built from: the lab (by its stack's key), every pod's address
    /// now, the node and the builds that turn them into a table (null: the lab has no key, so the table is built).</summary>
    private string? Inputs(string node) => Core.Config.Cache.LabIdentity.Inputs(plan.Lab,
        [typeof(StackServiceTable).Assembly.ManifestModule.ModuleVersionId.ToString(), typeof(ServiceRulesEngine).Assembly.ManifestModule.ModuleVersionId.ToString(),
            typeof(ServiceRulesLayer).Assembly.ManifestModule.ModuleVersionId.ToString(), Backend.ToString(), node,
            .. plan.Lab.Pods.Select(p => p.Name + "=" + podAddress(p.Name))]);

    public async Task RemoveAsync(PlanStep step, CancellationToken ct)
    {
        var netns = layout.NodeNamespace(step.Node!);
        if (Namespaces.Exists(netns))
            await EngineFor(step.Node!).RemoveAsync(ct).ConfigureAwait(false);
        new ServiceRulesInputs(layout.NodeDirectory(step.Node!), null).Forget();
    }

    private ServiceRulesEngine EngineFor(string node) => _engines.GetOrAdd(node, n =>
        new ServiceRulesEngine(Backend, layout.NodeNamespace(n), new ServiceRulesEngineOptions { StateFile = layout.ServiceRulesStatePath(n) }));

    private static string Indent(string text) =>
        string.Join(Environment.NewLine, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => "    " + l.TrimEnd()));
}
