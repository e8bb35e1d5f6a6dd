using System.Net;
using Provisioner.Core.Model;
using Provisioner.Fabric.Model;
using Provisioner.Fabric.Planning;

namespace Provisioner.Fabric.Tests;

public sealed class FabricPlannerSpecs
{
    private static readonly FabricOptions Eth0 = new() { UnderlayInterface = "eth0" };

    [Fact]
    public void I_can_plan_a_node_with_every_other_node_as_a_peer()
    {
        var plan = Labs.Plan(FabricKind.OvsVxlan, 3);

        var fabric = FabricPlanner.For(plan, "n2", Labs.Addresses(plan), Eth0);

        Assert.Equal("n2", fabric.Node);
        Assert.Equal("10.244.1.0/24", fabric.PodSubnet);
        Assert.Equal("10.244.1.1/24", fabric.GatewayCidr);
        Assert.Equal("192.168.64.12", fabric.UnderlayAddress);
        Assert.Equal(24, fabric.UnderlayPrefix);
        Assert.Equal(1450, fabric.PodMtu);
        Assert.Equal(OvsDatapath.Netdev, fabric.OvsDatapath);
        Assert.Equal(
            [new FabricPeer("n1", "192.168.64.11", "10.244.0.0/24", "10.244.0.1"), new FabricPeer("n3", "192.168.64.13", "10.244.2.0/24", "10.244.2.1")],
            fabric.Peers.ToArray());
    }

    [Fact]
    public void It_shows_ovs_tunnels_routes_and_flows_as_trigger_lines()
    {
        var plan = Labs.Plan(FabricKind.OvsVxlan, 3);

        var lines = FabricPlanner.For(plan, "n1", Labs.Addresses(plan), Eth0).Triggers;

        Assert.Contains("ovs-bridge netlab0 datapath=netdev fail-mode=secure", lines);
        Assert.Contains("ovs-bridge netlab-ul datapath=netdev", lines);
        Assert.Contains("ovs-port netlab-ul eth0", lines);
        Assert.Contains("address 192.168.64.11/24 dev netlab-ul moved-from=eth0", lines);
        Assert.Contains("address 10.244.0.1/24 dev netlab0", lines);
        Assert.Contains("tunnel vx-n3 remote=192.168.64.13 vni=4242", lines);
        Assert.Contains("route 10.244.2.0/24 via 10.244.2.1 dev netlab0 onlink", lines);
        Assert.Contains("flow netlab0 priority=100,ip,in_port=LOCAL,nw_dst=10.244.2.0/24 actions=output:vx-n3", lines);
        Assert.Contains("flow netlab0 priority=100,in_port=vx-n3 actions=LOCAL", lines);
        Assert.True(lines.IndexOf("tunnel vx-n3 remote=192.168.64.13 vni=4242") < lines.IndexOf("flow netlab0 priority=100,in_port=vx-n3 actions=LOCAL"),
            "a tunnel port is created before the flows that use it");
    }

    [Fact]
    public void It_plans_the_kernel_datapath_without_an_underlay_bridge_on_vms()
    {
        var plan = Labs.Plan(FabricKind.OvsVxlan, 2, Backend.Multipass);

        var fabric = FabricPlanner.For(plan, "n1", Labs.Addresses(plan));

        Assert.Equal(OvsDatapath.System, fabric.OvsDatapath);
        Assert.Contains("ovs-bridge netlab0 datapath=system fail-mode=secure", fabric.Triggers);
        Assert.DoesNotContain(fabric.Triggers, l => l.Contains("netlab-ul", StringComparison.Ordinal));
    }

    [Fact]
    public void It_shows_linux_vxlan_fdb_neighbour_and_route_per_peer()
    {
        var plan = Labs.Plan(FabricKind.LinuxVxlan, 2);

        var lines = FabricPlanner.For(plan, "n1", Labs.Addresses(plan)).Triggers;

        Assert.Equal(
        [
            "sysctl net.ipv4.ip_forward=1",
            "bridge netlab0 type=linux",
            "vxlan netlab-vxlan vni=4242 local=192.168.64.11 dstport=4789 mac=0e:6e:c0:a8:40:0b",
            "mtu netlab0 1450",
            "mtu netlab-vxlan 1450",
            "address 10.244.0.1/24 dev netlab0",
            "address 10.244.0.0/32 dev netlab-vxlan",
            "fdb 0e:6e:c0:a8:40:0c dst 192.168.64.12 dev netlab-vxlan",
            "neigh 10.244.1.0 lladdr 0e:6e:c0:a8:40:0c dev netlab-vxlan",
            "route 10.244.1.0/24 via 10.244.1.0 dev netlab-vxlan onlink",
        ], lines.ToArray());
    }

    [Fact]
    public void It_routes_each_remote_pod_subnet_via_its_node_when_routed()
    {
        var plan = Labs.Plan(FabricKind.Routed, 3);

        var lines = FabricPlanner.For(plan, "n1", Labs.Addresses(plan)).Triggers;

        Assert.Contains("route 10.244.1.0/24 via 192.168.64.12", lines);
        Assert.Contains("route 10.244.2.0/24 via 192.168.64.13", lines);
        Assert.Equal(1500, FabricPlanner.For(plan, "n1", Labs.Addresses(plan)).PodMtu);
    }

    [Theory]
    [InlineData(FabricKind.OvsVxlan)]
    [InlineData(FabricKind.LinuxVxlan)]
    [InlineData(FabricKind.Routed)]
    public void Adding_a_node_only_adds_its_lines_to_the_others(FabricKind kind)
    {
        var three = Labs.Plan(kind, 3);
        var four = Labs.Plan(kind, 4);

        var before = FabricPlanner.For(three, "n2", Labs.Addresses(three), Eth0).Triggers;
        var after = FabricPlanner.For(four, "n2", Labs.Addresses(four), Eth0).Triggers;

        Assert.Empty(before.Except(after));
        var added = after.Except(before).ToList();
        Assert.NotEmpty(added);
        Assert.All(added, l => Assert.True(l.Contains("10.244.3.", StringComparison.Ordinal) || l.Contains("vx-n4", StringComparison.Ordinal)
            || l.Contains("192.168.64.14", StringComparison.Ordinal) || l.Contains(":40:0e", StringComparison.Ordinal), l));
    }

    [Fact]
    public void I_can_round_trip_the_desired_state_through_json()
    {
        var plan = Labs.Plan(FabricKind.OvsVxlan, 3);
        var fabric = FabricPlanner.For(plan, "n1", Labs.Addresses(plan), Eth0);

        var json = FabricJson.Serialize(fabric);
        var back = FabricJson.Deserialize(json);

        Assert.Equal(fabric, back);
        Assert.Equal(fabric.Triggers.ToArray(), back.Triggers.ToArray());
        Assert.Contains("\"kind\": \"OvsVxlan\"", json, StringComparison.Ordinal);
        Assert.Contains("\"underlayAddress\": \"192.168.64.12\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("triggers", json, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void It_refuses_a_fabric_file_that_is_not_a_node_fabric()
    {
        var e = Assert.Throws<FabricException>(() => FabricJson.Deserialize("{\"node\": \"n1\"}"));

        Assert.Contains("not a valid node fabric", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void It_refuses_a_node_without_a_known_address_naming_it()
    {
        var plan = Labs.Plan(FabricKind.LinuxVxlan, 3);
        var addresses = Labs.Addresses(plan).Remove("n3");

        var e = Assert.Throws<FabricException>(() => FabricPlanner.For(plan, "n1", addresses));

        Assert.Equal("n3", e.Node);
        Assert.Contains("underlay address", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void It_refuses_the_userspace_datapath_without_an_underlay_interface()
    {
        var plan = Labs.Plan(FabricKind.OvsVxlan, 2);

        var e = Assert.Throws<FabricException>(() => FabricPlanner.For(plan, "n1", Labs.Addresses(plan)));

        Assert.Contains("UnderlayInterface", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void It_refuses_routed_nodes_that_are_not_on_one_segment()
    {
        var plan = Labs.Plan(FabricKind.Routed, 2, Backend.Multipass);
        var addresses = Labs.Addresses(plan).SetItem("n2", IPAddress.Parse("10.9.0.5"));

        var e = Assert.Throws<FabricException>(() => FabricPlanner.For(plan, "n1", addresses));

        Assert.Contains("one L2 segment", e.Message, StringComparison.Ordinal);
        Assert.Contains("n2 (10.9.0.5)", e.Message, StringComparison.Ordinal);
    }
}
