using Provisioner.Core.Model;
using Provisioner.Core.Tests.Support;

namespace Provisioner.Core.Tests.Validation;

public class NetworkValidationSpecs
{
    [Fact]
    public void The_valid_labs_have_no_problems()
    {
        Assert.Empty(Problems.Of(Labs.Valid()));
        Assert.Empty(Problems.Of(Labs.ValidNetns()));
    }

    [Fact]
    public void It_refuses_a_service_cidr_that_overlaps_the_pod_cidr()
    {
        var lab = Labs.Valid().WithNetwork(n => n with { PodCidr = "10.96.0.0/12" });
        Problems.Only(lab).Names("network.serviceCidr", "10.96.0.0/16").Says("overlaps network.podCidr (10.96.0.0/12)")
            .Fixes("pulumi config set --path 'network.serviceCidr' ");
    }

    [Fact]
    public void It_refuses_a_pod_cidr_that_overlaps_the_node_cidr()
    {
        var lab = Labs.Valid().WithNetwork(n => n with { NodeCidr = "10.244.200.0/24" });
        Problems.Only(lab).Names("network.podCidr", "10.244.0.0/16").Says("overlaps network.nodeCidr (10.244.200.0/24)")
            .Fixes("pulumi config set --path 'network.podCidr' ");
    }

    [Fact]
    public void It_refuses_a_service_cidr_that_overlaps_the_node_cidr()
    {
        var lab = Labs.Valid().WithNetwork(n => n with { NodeCidr = "10.96.10.0/24" });
        Problems.Only(lab).Names("network.serviceCidr", "10.96.0.0/16").Says("overlaps network.nodeCidr (10.96.10.0/24)")
            .Fixes("pulumi config set --path 'network.serviceCidr' ");
    }

    [Fact]
    public void The_range_an_overlap_fix_suggests_overlaps_nothing()
    {
        var lab = Labs.Valid().WithNetwork(n => n with { PodCidr = "10.96.0.0/16" });
        var fix = Problems.Only(lab).Fix;
        var suggested = fix[(fix.LastIndexOf(' ') + 1)..];
        var fixedLab = lab.WithNetwork(n => n with { ServiceCidr = suggested });
        Assert.Empty(Problems.Of(fixedLab));
    }

    [Theory]
    [InlineData("10.244.1.0/16", "10.244.0.0/16")]
    [InlineData("10.244.0.1/24", "10.244.0.0/24")]
    public void It_refuses_a_cidr_with_host_bits_and_names_the_network(string cidr, string network)
    {
        var lab = Labs.Valid().WithNetwork(n => n with { PodCidr = cidr });
        Problems.Only(lab).Names("network.podCidr", cidr).Says($"has host bits set (the network is {network})")
            .FixedBySetting("network.podCidr", "10.244.0.0/16");
    }

    [Theory]
    [InlineData("banana")]
    [InlineData("10.244.0.0")]
    [InlineData("10.244.0.0/33")]
    [InlineData("10.244.0.0/")]
    [InlineData("10.244.0.0/16/2")]
    [InlineData("fd00::/64")]
    [InlineData("")]
    [InlineData("167772160/8")]
    [InlineData("10.244/16")]
    [InlineData("10.244.0.0/+16")]
    [InlineData(" 10.244.0.0/16")]
    public void It_refuses_a_service_cidr_that_is_not_an_IPv4_cidr(string cidr)
    {
        var lab = Labs.Valid().WithNetwork(n => n with { ServiceCidr = cidr });
        Assert.Contains(Problems.Of(lab), p => p.Key == "network.serviceCidr" && p.Value == cidr
            && p.Message == "is not an IPv4 CIDR like 10.244.0.0/16" && p.Fix == "pulumi config set --path 'network.serviceCidr' 10.96.0.0/16");
    }

    [Theory]
    [InlineData("network.podCidr")]
    [InlineData("network.nodeCidr")]
    public void It_refuses_a_pod_or_node_cidr_that_is_not_a_cidr(string key)
    {
        var lab = Labs.Valid().WithNetwork(n => key == "network.podCidr" ? n with { PodCidr = "x" } : n with { NodeCidr = "x" });
        Problems.Only(lab).Names(key, "x").Says("is not an IPv4 CIDR").Fixes($"pulumi config set --path '{key}' ");
    }

    [Fact]
    public void It_refuses_a_pod_cidr_too_small_to_slice_for_every_node()
    {
        var lab = Labs.Valid().WithNetwork(n => n with { PodCidr = "10.244.0.0/23" });
        Problems.Only(lab).Names("network.podCidr", "10.244.0.0/23").Says("holds only 2 node subnets of /24, but the stack has 3 nodes")
            .FixedBySetting("network.podCidr", "10.244.0.0/16").Fixes("network.nodePodPrefix");
    }

    [Fact]
    public void A_pod_cidr_with_exactly_one_subnet_per_node_is_enough()
    {
        var lab = Labs.Valid().WithNodeCount(4).WithNetwork(n => n with { PodCidr = "10.244.0.0/22" });
        Assert.Empty(Problems.Of(lab));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(8)]
    [InlineData(29)]
    [InlineData(32)]
    public void It_refuses_a_node_pod_prefix_out_of_range(int prefix)
    {
        var lab = Labs.Valid().WithNetwork(n => n with { NodePodPrefix = prefix });
        Problems.Only(lab).Names("network.nodePodPrefix", prefix.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Says("must be longer than the pod CIDR's /16 and at most /28").FixedBySetting("network.nodePodPrefix", "24");
    }

    [Theory]
    [InlineData("172.0.0.0/8")]
    [InlineData("172.0.0.0/11")]
    [InlineData("172.16.0.0/29")]
    [InlineData("172.16.0.0/32")]
    public void It_refuses_a_service_cidr_prefix_out_of_range(string cidr)
    {
        var lab = Labs.Valid().WithNetwork(n => n with { ServiceCidr = cidr }) with { Services = [] };
        Problems.Only(lab).Names("network.serviceCidr", cidr).Says("must be between /12").FixedBySetting("network.serviceCidr", "10.96.0.0/16");
    }

    [Fact]
    public void It_refuses_a_node_cidr_too_small_for_the_nodes()
    {
        var lab = Labs.Valid().WithNetwork(n => n with { NodeCidr = "192.168.64.0/29" });
        Problems.Only(lab).Names("network.nodeCidr", "192.168.64.0/29").Says("is too small for 3 nodes (node addresses start at .11)")
            .FixedBySetting("network.nodeCidr", "192.168.64.0/24");
    }

    [Fact]
    public void A_node_cidr_is_big_enough_when_the_last_node_is_below_the_broadcast_address()
    {
        var four = Labs.Valid().WithNodeCount(4).WithNetwork(n => n with { NodeCidr = "192.168.64.0/28" });
        var five = Labs.Valid().WithNodeCount(5).WithNetwork(n => n with { NodeCidr = "192.168.64.0/28" });
        Assert.Empty(Problems.Of(four)); // .11 to .14, broadcast .15
        Problems.Only(five).Names("network.nodeCidr", "192.168.64.0/28");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(16_777_216)]
    public void It_refuses_a_vni_out_of_range(int vni)
    {
        var lab = Labs.Valid().WithNetwork(n => n with { Vni = vni });
        Problems.Only(lab).Names("network.vni", vni.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Says("from 1 to 16777215").FixedBySetting("network.vni", "4242");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16_777_215)]
    public void It_accepts_the_vni_bounds(int vni) =>
        Assert.Empty(Problems.Of(Labs.Valid().WithNetwork(n => n with { Vni = vni })));

    [Theory]
    [InlineData(FabricKind.OvsVxlan, 1500, 1451, 1450)]
    [InlineData(FabricKind.LinuxVxlan, 9000, 8951, 8950)]
    [InlineData(FabricKind.Routed, 1500, 1501, 1500)]
    public void It_refuses_a_pod_mtu_too_large_for_the_underlay_and_fabric(FabricKind fabric, int underlay, int mtu, int max)
    {
        var lab = Labs.Valid().WithNetwork(n => n with { Fabric = fabric, UnderlayMtu = underlay, Mtu = mtu });
        Problems.Only(lab).Names("network.mtu", mtu.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Says($"must be from 1280 to {max}").Fixes("pulumi config set --path 'network.mtu' 0");
        Assert.Empty(Problems.Of(lab.WithNetwork(n => n with { Mtu = max })));
    }

    [Fact]
    public void It_refuses_a_pod_mtu_below_the_minimum()
    {
        var lab = Labs.Valid().WithNetwork(n => n with { Mtu = 1000 });
        Problems.Only(lab).Names("network.mtu", "1000").Says("must be from 1280");
    }

    [Theory]
    [InlineData(1279)]
    [InlineData(9001)]
    public void It_refuses_an_underlay_mtu_out_of_range(int mtu)
    {
        var lab = Labs.Valid().WithNetwork(n => n with { UnderlayMtu = mtu, Fabric = FabricKind.Routed });
        Problems.Only(lab).Names("network.underlayMtu", mtu.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Says("must be from 1280 to 9000").FixedBySetting("network.underlayMtu", "1500");
    }

    [Fact]
    public void It_refuses_a_vxlan_underlay_whose_pods_would_get_an_mtu_below_the_minimum()
    {
        var lab = Labs.Valid().WithNetwork(n => n with { UnderlayMtu = 1300 });
        Assert.Contains(Problems.Of(lab), p => p.Key == "network.underlayMtu" && p.Value == "1300" && p.Message.Contains("1330", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(32767, 30000)]
    [InlineData(0, 32767)]
    [InlineData(30000, 65536)]
    public void It_refuses_a_node_port_range_that_is_not_a_range(int min, int max)
    {
        var lab = Labs.Valid().WithNetwork(n => n with { NodePortMin = min, NodePortMax = max }) with { Services = [] };
        Problems.Only(lab).Names("network.nodePortMin", $"{min}-{max}").Says("is not a valid port range")
            .Fixes("pulumi config set --path 'network.nodePortMin' 30000").Fixes("pulumi config set --path 'network.nodePortMax' 32767");
    }

    [Fact]
    public void It_refuses_the_routed_fabric_over_a_multipass_node_range_too_wide_for_one_segment()
    {
        var lab = Labs.Valid().WithNetwork(n => n with { Fabric = FabricKind.Routed, NodeCidr = "172.16.0.0/12" });
        Problems.Only(lab).Names("network.fabric", "routed").Says("one L2 segment").Fixes("ovs-vxlan");
        Assert.Empty(Problems.Of(lab with { Backend = Backend.Netns }));
    }

    [Fact]
    public void It_refuses_kube_proxy_on_the_netns_backend()
    {
        var lab = Labs.ValidNetns().WithNetwork(n => n with { ServiceProxy = ServiceProxy.KubeProxy });
        Problems.Only(lab).Names("network.serviceProxy", "kube-proxy").Says("the netns backend has none")
            .FixedBySetting("network.serviceProxy", "netlab");
        Assert.Empty(Problems.Of(lab with { Backend = Backend.Multipass }));
    }

    [Fact]
    public void It_reports_every_problem_of_a_stack_at_once()
    {
        var lab = Labs.Valid()
            .WithNetwork(n => n with { PodCidr = "banana", Vni = 0, Fabric = FabricKind.LinuxVxlan, Mtu = 1500 })
            .WithNode(1, w => w with { Name = "Worker_1" })
            .WithNode(0, cp => cp with { Cpus = 1 }) with { Kubernetes = new KubernetesSpec { Version = "1.20" }, Pods = [], Services = [] };

        var problems = Problems.Of(lab);

        Assert.Equal(["kubernetes.version", "network.mtu", "network.podCidr", "network.vni", "nodes[0].cpus", "nodes[1].name"],
            problems.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(6, problems.Count);
    }
}
