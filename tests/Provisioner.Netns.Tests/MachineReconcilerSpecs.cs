using Provisioner.Core.Config;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Host.Processes;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Netns.Tests;

[Collection(PrivilegedCollection.Name)]
public sealed class MachineReconcilerSpecs : IDisposable
{
    private readonly LabPlan _plan;
    private readonly LabLayout _layout;
    private readonly MachineReconciler _machines;

    public MachineReconcilerSpecs()
    {
        var lab = StackFile.Load(RepoPaths.Of("Pulumi.dev.yaml")) with { Name = TestNames.Unique("m"), Backend = Backend.Netns };
        _plan = LabPlan.For(lab);
        _layout = LabLayout.For(lab, Path.Combine(Path.GetTempPath(), lab.Name));
        _machines = new MachineReconciler(ProcessRunner.Default, _layout, _plan);
    }

    private async Task<List<Change>> PlanAllAsync()
    {
        var changes = new List<Change>(await _machines.UnderlayAsync(default));
        foreach (var node in _plan.Addresses.Nodes)
            changes.AddRange(await _machines.NodeAsync(node, default));
        return changes;
    }

    private async Task ApplyAsync(IEnumerable<Change> changes)
    {
        foreach (var change in changes)
            await change.Apply(default);
    }

    [PrivilegedFact]
    public async Task Nodes_reach_each_other_and_the_outside_client_on_the_underlay_and_a_second_pass_changes_nothing()
    {
        await ApplyAsync(await PlanAllAsync());

        Assert.Empty(await PlanAllAsync());
        var worker2 = _plan.Addresses.Node("worker2").UnderlayAddress.ToString();
        var ping = await new Namespaces(ProcessRunner.Default).TryExec(_layout.NodeNamespace("cp1"), ["ping", "-c", "1", "-W", "2", worker2]);
        Assert.True(ping.Succeeded, ping.StandardOutput + ping.StandardError);
        ping = await new Namespaces(ProcessRunner.Default).TryExec(_layout.OutsideNamespace, ["ping", "-c", "1", "-W", "2", worker2]);
        Assert.True(ping.Succeeded, ping.StandardOutput + ping.StandardError);
    }

    [PrivilegedFact]
    public async Task A_removed_address_or_a_downed_link_shows_up_as_drift_and_is_repaired()
    {
        await ApplyAsync(await PlanAllAsync());
        var ns = _layout.NodeNamespace("worker1");
        var address = $"{_plan.Addresses.Node("worker1").UnderlayAddress}/24";
        ProcessRunner.Default.Run("ip", "-n", ns, "addr", "del", address, "dev", "eth0");
        ProcessRunner.Default.Run("ip", "-n", _layout.UnderlayNamespace, "link", "set", "cp1", "down");

        var drift = await PlanAllAsync();

        Assert.Equal(2, drift.Count);
        Assert.Contains(drift, c => c.Step == "machine-worker1" && c.Description.Contains(address, StringComparison.Ordinal));
        Assert.Contains(drift, c => c.Step == "machine-cp1" && c.Description.Contains("cp1 attached", StringComparison.Ordinal));
        await ApplyAsync(drift);
        Assert.Empty(await PlanAllAsync());
    }

    public void Dispose()
    {
        foreach (var node in _plan.Addresses.Nodes)
            _machines.RemoveNodeAsync(node.Node.Name, default).GetAwaiter().GetResult();
        _machines.RemoveUnderlayAsync(default).GetAwaiter().GetResult();
        Assert.DoesNotContain(Namespaces.List(), n => n.StartsWith(_plan.Lab.Name + "-", StringComparison.Ordinal));
    }
}
