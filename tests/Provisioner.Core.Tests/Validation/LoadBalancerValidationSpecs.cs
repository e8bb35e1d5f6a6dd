using Provisioner.Core.Model;
using Provisioner.Core.Tests.Support;

namespace Provisioner.Core.Tests.Validation;

public class LoadBalancerValidationSpecs
{
    private static LabConfig WithBalancer(string? ip = null) =>
        Labs.Valid().AddService(Labs.Service("web-lb", ServiceType.LoadBalancer, "web", Labs.Port(80, 8080)) with { LoadBalancerIP = ip });

    [Fact]
    public void A_load_balancer_in_the_default_pool_is_valid() => Assert.Empty(Problems.Of(WithBalancer()));

    [Fact]
    public void A_pool_outside_every_range_is_valid() =>
        Assert.Empty(Problems.Of(WithBalancer().WithNetwork(n => n with { LoadBalancerCidr = "172.30.0.0/24" })));

    [Fact]
    public void It_refuses_a_pool_that_overlaps_the_service_range()
    {
        var lab = WithBalancer().WithNetwork(n => n with { LoadBalancerCidr = "10.96.200.0/24" });
        Problems.Only(lab).Names("network.loadBalancerCidr", "10.96.200.0/24").Says("overlaps network.serviceCidr (10.96.0.0/16)");
    }

    [Fact]
    public void It_refuses_a_pool_that_straddles_the_node_network()
    {
        var lab = WithBalancer().WithNetwork(n => n with { LoadBalancerCidr = "192.168.0.0/16" });
        Problems.Only(lab).Names("network.loadBalancerCidr", "192.168.0.0/16").Says("without being a slice of it")
            .Fixes("pulumi config set --path 'network.loadBalancerCidr' 192.168.64.240/28");
    }

    [Fact]
    public void It_refuses_a_pool_that_holds_a_nodes_address()
    {
        var lab = WithBalancer().WithNetwork(n => n with { LoadBalancerCidr = "192.168.64.0/28" });
        Problems.Only(lab).Names("network.loadBalancerCidr", "192.168.64.0/28").Says("192.168.64.1, 192.168.64.11, 192.168.64.12");
    }

    [Fact]
    public void It_refuses_a_load_balancer_ip_outside_the_pool()
    {
        Problems.Only(WithBalancer("192.168.64.100")).Names("services[2].loadBalancerIP", "192.168.64.100")
            .Says("outside the LoadBalancer pool 192.168.64.240/28");
    }

    [Fact]
    public void It_refuses_a_small_node_network_without_a_pool()
    {
        var lab = WithBalancer().WithNetwork(n => n with { NodeCidr = "192.168.64.0/28" });
        Problems.Only(lab).Names("network.loadBalancerCidr", null).Says("has no default");
    }

    [Fact]
    public void It_refuses_an_external_ip_that_is_a_nodes_address()
    {
        var lab = Labs.Valid().WithService(0, s => s with { ExternalIPs = ["192.168.64.12"] });
        Problems.Only(lab).Names("services[0].externalIPs[0]", "192.168.64.12").Says("a node's or the outside client's own address");
    }
}
