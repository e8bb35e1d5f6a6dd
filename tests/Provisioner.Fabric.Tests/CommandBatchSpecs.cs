using Provisioner.Fabric.Convergence;

namespace Provisioner.Fabric.Tests;

public sealed class CommandBatchSpecs
{
    private static readonly FabricTarget Ovs = new() { Netns = "nl-n1", OvsDbSocket = "/run/netlab/ovs/nl-n1/db.sock", OvsRunDir = "/run/netlab/ovs/nl-n1" };

    [Fact]
    public void It_runs_ip_commands_inside_the_node_namespace_and_ovs_tools_by_socket()
    {
        Assert.Equal("ip -n nl-n1 route add 10.244.1.0/24 via 192.168.64.12",
            FabricCommand.Ip("route", "add", "10.244.1.0/24", "via", "192.168.64.12").Render(Ovs));
        Assert.Equal("ip netns exec nl-n1 sysctl -qw net.ipv4.ip_forward=1", FabricCommand.Sysctl("net.ipv4.ip_forward=1").Render(Ovs));
        Assert.Equal("ovs-vsctl --timeout=10 --db=unix:/run/netlab/ovs/nl-n1/db.sock del-port netlab0 vx-n2",
            FabricCommand.Vsctl(Ovs, "del-port", "netlab0", "vx-n2").Render(Ovs));
        Assert.Equal("ovs-ofctl dump-flows unix:/run/netlab/ovs/nl-n1/netlab0.mgmt",
            FabricCommand.Ofctl(Ovs, "dump-flows", "netlab0").Render(Ovs));
        Assert.Equal("ovs-ofctl dump-flows netlab0", FabricCommand.Ofctl(FabricTarget.Host, "dump-flows", "netlab0").Render(FabricTarget.Host));
    }

    [Fact]
    public void I_can_merge_ip_commands_into_one_batch()
    {
        FabricCommand[] commands = [FabricCommand.Ip("link", "set", "netlab0", "up"), FabricCommand.Ip("route", "add", "10.244.1.0/24", "via", "192.168.64.12")];

        var merged = CommandBatch.Merge(commands, Ovs);

        Assert.Equal("ip -n nl-n1 -batch -", merged.Render(Ovs));
        Assert.Equal("link set netlab0 up\nroute add 10.244.1.0/24 via 192.168.64.12\n", merged.Stdin);
    }

    [Fact]
    public void I_can_merge_ovs_vsctl_commands_into_one_transaction()
    {
        FabricCommand[] commands = [FabricCommand.Vsctl(Ovs, "--may-exist", "add-br", "netlab0"), FabricCommand.Vsctl(Ovs, "--if-exists", "del-port", "netlab0", "vx-n2")];

        var merged = CommandBatch.Merge(commands, Ovs);

        Assert.Equal("ovs-vsctl --timeout=10 --db=unix:/run/netlab/ovs/nl-n1/db.sock --may-exist add-br netlab0 -- --if-exists del-port netlab0 vx-n2",
            merged.Render(Ovs));
    }

    [Fact]
    public void It_runs_best_effort_commands_alone()
    {
        Assert.Null(CommandBatch.KeyOf(FabricCommand.Ip("address", "del", "192.168.64.11/24", "dev", "eth0").OrIgnoreFailure()));
        Assert.Equal("ip", CommandBatch.KeyOf(FabricCommand.Ip("address", "del", "192.168.64.11/24", "dev", "eth0")));
    }
}
