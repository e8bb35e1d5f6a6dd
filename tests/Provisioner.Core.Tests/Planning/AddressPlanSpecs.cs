using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Core.Tests.Support;

namespace Provisioner.Core.Tests.Planning;

public class AddressPlanSpecs
{
    private static AddressPlan Plan(LabConfig lab) => AddressPlan.For(lab);

    [Fact]
    public void Node_pod_subnets_are_consecutive_slices_by_node_index()
    {
        var plan = Plan(Labs.Valid());

        Assert.Equal([0, 1, 2], plan.Nodes.Select(n => n.Index));
        Assert.Equal(["cp1", "worker1", "worker2"], plan.Nodes.Select(n => n.Node.Name));
        Assert.Equal(["10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24"], plan.Nodes.Select(n => n.PodSubnet.ToString()));
    }

    [Fact]
    public void Node_pod_subnets_follow_the_node_pod_prefix()
    {
        var plan = Plan(Labs.Valid().WithNetwork(n => n with { PodCidr = "10.200.8.0/24", NodePodPrefix = 26 }));

        Assert.Equal(["10.200.8.0/26", "10.200.8.64/26", "10.200.8.128/26"], plan.Nodes.Select(n => n.PodSubnet.ToString()));
        var last = plan.Nodes[2];
        Assert.Equal(("10.200.8.129", "10.200.8.130", "10.200.8.190"), (last.Gateway.ToString(), last.RangeStart.ToString(), last.RangeEnd.ToString()));
    }

    [Fact]
    public void The_gateway_is_the_first_address_and_pods_get_2_to_254_of_a_24()
    {
        var worker1 = Plan(Labs.Valid()).Node("worker1");

        Assert.Equal("10.244.1.1", worker1.Gateway.ToString());
        Assert.Equal("10.244.1.2", worker1.RangeStart.ToString());
        Assert.Equal("10.244.1.254", worker1.RangeEnd.ToString());
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
        Assert.Equal("10.244.3.0/24", after.Node("worker3").PodSubnet.ToString());
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
