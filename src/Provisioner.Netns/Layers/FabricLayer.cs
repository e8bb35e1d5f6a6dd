using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Fabric.Convergence;
using Provisioner.Fabric.Model;
using Provisioner.Fabric.Ovs;
using Provisioner.Fabric.Planning;
using Provisioner.Host.Processes;

namespace Provisioner.Netns.Layers;

/// <summary>
/// A node's fabric inside its namespace: the same desired state and converger as a VM's, with OVS run per node on
/// the userspace datapath (this host has no openvswitch kernel module) from the lab's state directory.
/// </summary>
public sealed class FabricLayer(LabPlan plan, LabLayout layout, ProcessRunner run) : IStepLayer, IProcessOwner
{
    private readonly FabricConverger _converger = new(run);

    public NodeFabric Desired(string node) =>
        FabricPlanner.For(plan, node, FabricPlanner.PlannedUnderlayAddresses(plan), new FabricOptions { UnderlayInterface = LabLayout.NodeInterface });

    public OvsInstance Ovs(string node) => new(node, layout.NodeNamespace(node), layout.OvsDirectory(node), run);

    private bool UsesOvs => plan.Lab.Network.Fabric == FabricKind.OvsVxlan;

    private FabricTarget Target(string node) => UsesOvs ? Ovs(node).Target : FabricTarget.InNetns(layout.NodeNamespace(node));

    public async Task<IReadOnlyList<Change>> PlanAsync(PlanStep step, CancellationToken ct)
    {
        var node = step.Node!;
        var desired = Desired(node);
        var ovs = UsesOvs ? Ovs(node) : null;
        if (!Namespaces.Exists(layout.NodeNamespace(node)) || ovs is { IsRunning: false })
        {
            var what = ovs is null ? "" : "start ovsdb-server and ovs-vswitchd (userspace datapath), then ";
            return [new Change(step.Id, $"{what}build the {EnumNames.Of(desired.Kind)} fabric: {string.Join("; ", desired.Triggers)}", c => ApplyAsync(node, desired, c))];
        }
        var changes = await _converger.PlanAsync(desired, Target(node), ct).ConfigureAwait(false);
        return changes.IsEmpty
            ? []
            : [new Change(step.Id, string.Join(Environment.NewLine + "    ", changes.Changes.Select(c => c.ToString())), c => ApplyAsync(node, desired, c))];
    }

    private async Task ApplyAsync(string node, NodeFabric desired, CancellationToken ct)
    {
        if (UsesOvs)
            await Ovs(node).StartAsync(ct).ConfigureAwait(false);
        await _converger.ApplyAsync(desired, Target(node), ct).ConfigureAwait(false);
    }

    public Task StopProcessesAsync(PlanStep step, CancellationToken ct) => UsesOvs ? Ovs(step.Node!).StopAsync() : Task.CompletedTask;

    public async Task RemoveAsync(PlanStep step, CancellationToken ct)
    {
        var node = step.Node!;
        var ovs = UsesOvs ? Ovs(node) : null;
        if (Namespaces.Exists(layout.NodeNamespace(node)) && ovs is not { IsRunning: false })
            await _converger.RemoveAsync(Desired(node), Target(node), ct).ConfigureAwait(false);
        if (ovs is not null)
            await ovs.StopAsync().ConfigureAwait(false);
    }
}
