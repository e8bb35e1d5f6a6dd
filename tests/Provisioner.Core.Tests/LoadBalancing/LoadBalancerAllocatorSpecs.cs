using System.Net;
using Provisioner.Core.LoadBalancing;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Core.Tests.Support;

namespace Provisioner.Core.Tests.LoadBalancing;

public class LoadBalancerAllocatorSpecs
{
    private static LabConfig Balancers(params string[] names) =>
        Labs.Valid() with { Services = [.. names.Select(n => Labs.Service(n, ServiceType.LoadBalancer, "web", Labs.Port(80, 8080)))] };

    [Fact]
    public void The_default_pool_is_the_last_16_addresses_of_the_node_network() =>
        Assert.Equal("192.168.64.240/28", LoadBalancerAllocator.Pool(new NetworkSpec())!.ToString());

    [Fact]
    public void Each_load_balancer_gets_a_distinct_address_of_the_pool_that_is_not_its_network_or_broadcast()
    {
        var plan = AddressPlan.For(Balancers("a", "b", "c", "d"));
        var ips = plan.Services.Select(s => s.LoadBalancerIP!).ToList();
        Assert.Equal(4, ips.Distinct().Count());
        Assert.All(ips, ip => Assert.True(plan.LoadBalancerPool!.Contains(ip)));
        Assert.DoesNotContain(IPAddress.Parse("192.168.64.240"), ips);
        Assert.DoesNotContain(IPAddress.Parse("192.168.64.255"), ips);
    }

    [Fact]
    public void Adding_a_load_balancer_moves_no_other()
    {
        var before = AddressPlan.For(Balancers("a", "b")).Services.ToDictionary(s => s.Spec.Name, s => s.LoadBalancerIP);
        var after = AddressPlan.For(Balancers("a", "b", "c")).Services.ToDictionary(s => s.Spec.Name, s => s.LoadBalancerIP);
        Assert.Equal(before["a"], after["a"]);
        Assert.Equal(before["b"], after["b"]);
    }

    [Fact]
    public void A_load_balancer_ip_in_the_pool_is_honoured()
    {
        var lab = Balancers("a").WithService(0, s => s with { LoadBalancerIP = "192.168.64.250" });
        Assert.Equal(IPAddress.Parse("192.168.64.250"), AddressPlan.For(lab).Services[0].LoadBalancerIP);
    }

    [Fact]
    public void Other_service_types_get_no_external_address() =>
        Assert.All(AddressPlan.For(Labs.Valid()).Services, s => Assert.Null(s.LoadBalancerIP));

    [Fact]
    public void An_address_held_now_is_kept_a_requested_one_wins_over_it_and_an_unmeetable_request_stays_pending()
    {
        var pool = IPNetwork2.Parse("192.168.64.240/28");
        var addresses = LoadBalancerAllocator.Allocate(
        [
            new AddressClaim("lab/held", null, "192.168.64.245"),
            new AddressClaim("lab/wants-it", "192.168.64.245", null),
            new AddressClaim("lab/moved", null, "192.168.64.245"), // held by the one above now: gets another
            new AddressClaim("lab/outside", "10.0.0.1", null),
        ], pool);

        Assert.Equal("192.168.64.245", addresses["lab/wants-it"].ToString());
        Assert.NotEqual("192.168.64.245", addresses["lab/held"].ToString());
        Assert.True(pool.Contains(addresses["lab/moved"]));
        Assert.False(addresses.ContainsKey("lab/outside"));
        Assert.Equal(3, addresses.Values.Distinct().Count());

        var kept = LoadBalancerAllocator.Allocate([new AddressClaim("lab/a", null, "192.168.64.247"), new AddressClaim("lab/b", null, null)], pool);
        Assert.Equal("192.168.64.247", kept["lab/a"].ToString()); // a restart of the allocator moves nothing
    }
}
