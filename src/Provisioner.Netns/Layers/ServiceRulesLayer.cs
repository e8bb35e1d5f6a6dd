using System.Net;
using Provisioner.Core.Planning;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Sources;

namespace Provisioner.Netns.Layers;

/// <summary>
/// A node's Service rules, applied inside its namespace by the same engine a VM node uses. Endpoints are the pods
/// attached so far, so this layer runs after the pods.
/// </summary>
public sealed class ServiceRulesLayer(LabPlan plan, LabLayout layout, Func<string, IPAddress?> podAddress) : IStepLayer
{
    private RuleBackend Backend => StackServiceTable.Backend(plan.Lab.Network.ServiceRules);

    public async Task<IReadOnlyList<Change>> PlanAsync(PlanStep step, CancellationToken ct)
    {
        var node = plan.Addresses.Node(step.Node!);
        var netns = layout.NodeNamespace(node.Node.Name);
        var applier = new ServiceRulesApplier(Backend, netns);
        var table = StackServiceTable.Build(plan, podAddress);
        var context = StackServiceTable.Node(plan, node.Node.Name, node.UnderlayAddress);
        if (!Namespaces.Exists(netns))
            return [new Change(step.Id, $"{plan.Lab.Services.Length} services as {Backend} rules in {netns}", c => applier.ApplyAsync(table, context, c))];
        var rules = await applier.PlanAsync(table, context, ct).ConfigureAwait(false);
        return rules.HasChanges
            ? [new Change(step.Id, Indent(rules.Describe(maxLines: 6)).TrimStart(), c => applier.ApplyAsync(table, context, c))]
            : [];
    }

    public async Task RemoveAsync(PlanStep step, CancellationToken ct)
    {
        var netns = layout.NodeNamespace(step.Node!);
        if (Namespaces.Exists(netns))
            await new ServiceRulesApplier(Backend, netns).RemoveAsync(ct).ConfigureAwait(false);
    }

    private static string Indent(string text) =>
        string.Join(Environment.NewLine, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => "    " + l.TrimEnd()));
}
