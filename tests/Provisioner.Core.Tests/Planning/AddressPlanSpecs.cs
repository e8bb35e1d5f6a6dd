using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Core.Tests.Support;

namespace Provisioner.Core.Tests.Planning;

public class AddressPlanSpecs
{
    private static AddressPlan Plan(LabConfig lab) => AddressPlan.For(lab);

    [Fact]
    public void A_node_pod_subnet_is_the_slice_its_name_hashes_to_whatever_the_order_of_the_nodes()
    {
        var plan = Plan(Labs.Valid());

        Assert.Equal([0, 1, 2], plan.Nodes.Select(n => n.Index));
        Assert.Equal(["cp1", "worker1", "worker2"], plan.Nodes.Select(n => n.Node.Name));
        // SHA-256 of the name, first 8 bytes big-endian, modulo the 256 /24 slices of the /16
        Assert.Equal(["10.244.237.0/24", "10.244.40.0/24", "10.244.18.0/24"], plan.Nodes.Select(n => n.PodSubnet.ToString()));

        var reordered = Plan(Labs.Valid() with { Nodes = [.. Labs.Valid().Nodes.Reverse()] });
        Assert.All(plan.Nodes, n => Assert.Equal(n.PodSubnet, reordered.Node(n.Node.Name).PodSubnet));
    }

    [Fact]
    public void Node_pod_subnets_follow_the_node_pod_prefix()
    {
        var plan = Plan(Labs.Valid().WithNetwork(n => n with { PodCidr = "10.200.8.0/24", NodePodPrefix = 26 }));

        // four /26 slices: cp1 hashes to 1, worker1 to 0, worker2 to 2
        Assert.Equal(["10.200.8.64/26", "10.200.8.0/26", "10.200.8.128/26"], plan.Nodes.Select(n => n.PodSubnet.ToString()));
        var last = plan.Nodes[2];
        Assert.Equal(("10.200.8.129", "10.200.8.130", "10.200.8.190"), (last.Gateway.ToString(), last.RangeStart.ToString(), last.RangeEnd.ToString()));
    }

    [Fact]
    public void A_pinned_pod_subnet_is_the_node_s_and_no_other_node_gets_it()
    {
        var pinned = Labs.Valid().WithNode(1, n => n with { PodCidr = "10.244.237.0/24" }); // worker1 takes cp1's hashed slice
        var plan = Plan(pinned);

        Assert.Equal("10.244.237.0/24", plan.Node("worker1").PodSubnet.ToString());
        Assert.Equal("10.244.238.0/24", plan.Node("cp1").PodSubnet.ToString()); // the next free slice
        Assert.Equal("10.244.18.0/24", plan.Node("worker2").PodSubnet.ToString());
    }

    [Fact]
    public void The_gateway_is_the_first_address_and_pods_get_2_to_254_of_a_24()
    {
        var worker1 = Plan(Labs.Valid()).Node("worker1");

        Assert.Equal("10.244.40.1", worker1.Gateway.ToString());
        Assert.Equal("10.244.40.2", worker1.RangeStart.ToString());
        Assert.Equal("10.244.40.254", worker1.RangeEnd.ToString());
    }

    [Fact]
    public void Every_pod_subnet_is_inside_the_pod_cidr_and_none_overlap()
    {
        var plan = Plan(Labs.Valid().WithNodeCount(40));

        Assert.All(plan.Nodes, n => Assert.True(plan.PodCidr.Contains(n.PodSubnet)));
        Assert.Equal(40, plan.Nodes.Select(n => n.PodSubnet.ToString()).Distinct().Count());
        Assert.All(plan.Nodes.Skip(1).Zip(plan.Nodes), pair => Assert.False(pair.First.PodSubnet.Overlap(pair.Second.PodSubnet)));
    }

    [Fact]
    public void Cluster_dns_is_the_10th_and_the_kubernetes_service_the_1st_address_of_the_service_range()
    {
        var plan = Plan(Labs.Valid());
        Assert.Equal(("10.96.0.1", "10.96.0.10"), (plan.KubernetesServiceIP.ToString(), plan.ClusterDns.ToString()));

        var other = Plan(Labs.Valid().WithNetwork(n => n with { ServiceCidr = "172.30.16.0/20" }) with { Services = [] });
        Assert.Equal(("172.30.16.1", "172.30.16.10"), (other.KubernetesServiceIP.ToString(), other.ClusterDns.ToString()));
    }

    [Fact]
    public void Underlay_addresses_start_at_11_and_the_outside_client_is_1()
    {
        var plan = Plan(Labs.ValidNetns());

        Assert.Equal(["192.168.64.11", "192.168.64.12", "192.168.64.13"], plan.Nodes.Select(n => n.UnderlayAddress.ToString()));
        Assert.Equal("192.168.64.1", plan.OutsideAddress.ToString());
    }

    [Theory]
    [InlineData(FabricKind.OvsVxlan, 1500, 1450)]
    [InlineData(FabricKind.LinuxVxlan, 1500, 1450)]
    [InlineData(FabricKind.LinuxVxlan, 9000, 8950)]
    [InlineData(FabricKind.Routed, 1500, 1500)]
    [InlineData(FabricKind.Routed, 9000, 9000)]
    public void The_pod_mtu_is_the_underlay_less_the_fabric_overhead(FabricKind fabric, int underlay, int podMtu)
    {
        Assert.Equal(podMtu, Plan(Labs.Valid().WithNetwork(n => n with { Fabric = fabric, UnderlayMtu = underlay })).PodMtu);
        Assert.Equal(underlay - podMtu, Overhead.Of(fabric));
    }

    [Fact]
    public void An_explicit_pod_mtu_wins()
    {
        Assert.Equal(1400, Plan(Labs.Valid().WithNetwork(n => n with { Mtu = 1400 })).PodMtu);
    }

    [Fact]
    public void Adding_a_node_leaves_every_other_node_where_it_was()
    {
        var before = Plan(Labs.Valid());
        var after = Plan(Labs.Valid() with { Nodes = Labs.Valid().Nodes.Add(Labs.Worker("worker3")) });

        Assert.All(before.Nodes, n => Assert.Equal(
            (n.PodSubnet.ToString(), n.Gateway, n.UnderlayAddress), (after.Node(n.Node.Name).PodSubnet.ToString(), after.Node(n.Node.Name).Gateway, after.Node(n.Node.Name).UnderlayAddress)));
        Assert.Equal("10.244.199.0/24", after.Node("worker3").PodSubnet.ToString());
    }

    [Fact]
    public void Removing_or_reordering_nodes_moves_no_node_that_holds_the_slice_its_name_hashes_to()
    {
        var lab = Labs.Valid().WithNodeCount(30);
        var before = Plan(lab);
        var removed = Plan(lab with { Nodes = lab.Nodes.RemoveAt(1).RemoveAt(7) });
        var shuffled = Plan(lab with { Nodes = [.. lab.Nodes.OrderBy(n => n.Name.Length).ThenByDescending(n => n.Name, StringComparer.Ordinal)] });

        var atHome = before.Nodes.Where(n => Cidr.OffsetOf(before.PodCidr, n.PodSubnet.Network) / 256 == PodSubnetAllocator.Home(n.Node.Name, 256))
            .Select(n => n.Node.Name).ToHashSet();
        Assert.True(atHome.Count >= 25, $"only {atHome.Count} of 30 nodes hold their own slice");
        Assert.All(removed.Nodes.Where(n => atHome.Contains(n.Node.Name)), n => Assert.Equal(before.Node(n.Node.Name).PodSubnet, n.PodSubnet));
        Assert.All(shuffled.Nodes, n => Assert.Equal(before.Node(n.Node.Name).PodSubnet, n.PodSubnet));
    }

    [Fact]
    public void When_two_names_hash_to_one_slice_the_first_by_name_keeps_it_and_the_other_takes_the_next_free_one()
    {
        // w1 and w2 both hash to slice 2 of four /26s; cp1 to 1
        var lab = Labs.Valid().WithNodeCount(3).WithNetwork(n => n with { PodCidr = "10.200.8.0/24", NodePodPrefix = 26 });
        var plan = Plan(lab);

        Assert.Equal(("10.200.8.64/26", "10.200.8.128/26", "10.200.8.192/26"),
            (plan.Node("cp1").PodSubnet.ToString(), plan.Node("w1").PodSubnet.ToString(), plan.Node("w2").PodSubnet.ToString()));
        // the documented exception: removing w1 moves w2 back to its own slice
        Assert.Equal("10.200.8.128/26", Plan(lab with { Nodes = lab.Nodes.RemoveAt(1) }).Node("w2").PodSubnet.ToString());
    }

    [Fact]
    public void It_says_which_node_it_does_not_know()
    {
        var e = Assert.Throws<KeyNotFoundException>(() => Plan(Labs.Valid()).Node("worker9"));
        Assert.Contains("worker9", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void It_carries_the_parsed_ranges()
    {
        var plan = Plan(Labs.Valid());
        Assert.Equal(("10.244.0.0/16", "10.96.0.0/16", "192.168.64.0/24"), (plan.PodCidr.ToString(), plan.ServiceCidr.ToString(), plan.NodeCidr.ToString()));
    }
}

public class CidrSpecs
{
    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("0.0.0.0")]
    public void I_can_parse_a_dotted_quad(string text)
    {
        Assert.True(Cidr.TryParseAddress(text, out var address));
        Assert.Equal(text, address.ToString());
    }

    [Theory]
    [InlineData("10.0.1")]
    [InlineData("167772161")]
    [InlineData("10.0.0.256")]
    [InlineData("10.0.0.-1")]
    [InlineData("10.0.0.1 ")]
    [InlineData("0x0a.0.0.1")]
    [InlineData("::1")]
    [InlineData(null)]
    public void It_refuses_what_is_not_a_dotted_quad(string? text) => Assert.False(Cidr.TryParseAddress(text, out _));

    [Fact]
    public void Nth_and_OffsetOf_are_inverse()
    {
        var network = Cidr.Parse("10.96.0.0/16");
        Assert.Equal("10.96.1.4", Cidr.Nth(network, 260).ToString());
        Assert.Equal(260, Cidr.OffsetOf(network, Cidr.Nth(network, 260)));
        Assert.Equal(65536, Cidr.Size(network));
    }

    [Fact]
    public void Parse_says_what_is_wrong() =>
        Assert.Contains("has host bits set", Assert.Throws<FormatException>(() => Cidr.Parse("10.96.0.1/16")).Message, StringComparison.Ordinal);
}
