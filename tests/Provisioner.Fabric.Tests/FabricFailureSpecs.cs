using Provisioner.Core.Model;
using Provisioner.Fabric.Ovs;
using Provisioner.Testing;

namespace Provisioner.Fabric.Tests;

/// <summary>Failures name the node and the step.</summary>
[Collection(PrivilegedCollection.Name)]
public sealed class FabricFailureSpecs
{
    [PrivilegedFact]
    public async Task It_names_the_node_and_the_step_when_a_peer_is_unreachable_on_the_underlay()
    {
        using var lab = new FabricTestLab(FabricKind.LinuxVxlan);
        var plan = lab.Plan(2);
        await lab.AddNodeAsync(plan, "n1"); // n2 never comes up

        var e = await Assert.ThrowsAsync<FabricException>(() => lab.ApplyAsync(plan, "n1"));

        Assert.Equal("n1", e.Node);
        Assert.Equal("check the underlay", e.Step);
        Assert.Contains("cannot reach n2 (192.168.64.12)", e.Message, StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public async Task It_names_the_node_and_the_daemon_when_open_vswitch_will_not_start()
    {
        var ovs = new OvsInstance("n7", TestNames.Unique("nlx"), Path.Combine(Path.GetTempPath(), TestNames.Unique("ovs")));
        try
        {
            var e = await Assert.ThrowsAsync<FabricException>(() => ovs.StartAsync()); // its namespace does not exist

            Assert.Equal("n7", e.Node);
            Assert.Equal("start ovsdb-server", e.Step);
            Assert.Contains("fabric of node 'n7': start ovsdb-server:", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await ovs.StopAsync();
        }
    }

    [PrivilegedFact]
    public async Task It_says_open_vswitch_is_not_running_when_the_node_has_none()
    {
        using var lab = new FabricTestLab(FabricKind.LinuxVxlan);
        var plan = Labs.Plan(FabricKind.OvsVxlan, 2);
        await lab.AddNodeAsync(plan, "n1");
        var fabric = lab.Fabric(plan, "n1") with { Kind = FabricKind.OvsVxlan, OvsDatapath = OvsDatapath.Netdev };
        var target = lab.Target("n1") with { OvsDbSocket = "/run/netlab/ovs/none/db.sock" };

        var e = await Assert.ThrowsAsync<FabricException>(() => lab.Converger.PlanAsync(fabric, target));

        Assert.Equal("n1", e.Node);
        Assert.Contains("is Open vSwitch running", e.Message, StringComparison.Ordinal);
    }
}
