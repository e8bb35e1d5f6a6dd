using System.Net;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Core.Tests.Support;

namespace Provisioner.Core.Tests.Planning;

public class ServiceAddressSpecs
{
    private static PlannedService Planned(LabConfig lab, string name) => AddressPlan.For(lab).Services.Single(s => s.Spec.Name == name);

    /// <summary>A lab with many services, so that collisions in the allocator would show.</summary>
    private static LabConfig ManyServices(int count, ServiceType type = ServiceType.NodePort) =>
        Labs.Valid() with
        {
            Services = [.. Enumerable.Range(0, count).Select(i => Labs.Service($"svc-{i}", type, "web", Labs.Port(80, 8080), Labs.Port(443, 8443)))],
        };

    [Fact]
    public void Allocated_cluster_ips_are_in_the_service_range_unique_and_not_reserved()
    {
        var lab = ManyServices(300);
        var plan = AddressPlan.For(lab);

        var ips = plan.Services.Select(s => s.ClusterIP!).ToList();
        Assert.All(ips, ip => Assert.True(plan.ServiceCidr.Contains(ip)));
        Assert.Equal(ips.Count, ips.Distinct().Count());
        Assert.All(ips, ip => Assert.True(Cidr.OffsetOf(plan.ServiceCidr, ip) is >= 16 and < 65535, $"{ip} is reserved"));
        Assert.DoesNotContain(plan.ClusterDns, ips);
        Assert.DoesNotContain(plan.KubernetesServiceIP, ips);
    }

    [Fact]
    public void A_small_service_range_is_filled_without_reusing_an_address()
    {
        var lab = ManyServices(15, ServiceType.ClusterIP).WithNetwork(n => n with { ServiceCidr = "10.96.0.0/27" });
        Assert.Empty(Problems.Of(lab));

        var offsets = AddressPlan.For(lab).Services.Select(s => Cidr.OffsetOf(Cidr.Parse("10.96.0.0/27"), s.ClusterIP!)).Order();

        Assert.Equal(Enumerable.Range(16, 15).Select(i => (long)i), offsets);
    }

    [Fact]
    public void Allocated_node_ports_are_in_the_range_and_unique()
    {
        var lab = ManyServices(300);
        var ports = AddressPlan.For(lab).Services.SelectMany(s => s.Ports).Select(p => p.NodePort).ToList();

        Assert.Equal(600, ports.Count);
        Assert.All(ports, p => Assert.InRange(p, 30000, 32767));
        Assert.Equal(ports.Count, ports.Distinct().Count());
    }

    [Fact]
    public void A_custom_node_port_range_is_respected()
    {
        var lab = ManyServices(5).WithNetwork(n => n with { NodePortMin = 31000, NodePortMax = 31009 });
        var ports = AddressPlan.For(lab).Services.SelectMany(s => s.Ports).Select(p => p.NodePort).Order();
        Assert.Equal(Enumerable.Range(31000, 10), ports);
    }

    [Fact]
    public void Adding_a_service_does_not_move_an_existing_cluster_ip_or_node_port()
    {
        var before = AddressPlan.For(ManyServices(20));
        var after = AddressPlan.For(ManyServices(20).AddService(Labs.Service("newcomer", ServiceType.NodePort, "web", Labs.Port(80))));

        foreach (var service in before.Services)
        {
            var again = after.Services.Single(s => s.Spec.Name == service.Spec.Name);
            Assert.Equal(service.ClusterIP, again.ClusterIP);
            Assert.Equal(service.Ports.Select(p => p.NodePort), again.Ports.Select(p => p.NodePort));
        }
    }

    [Fact]
    public void The_same_stack_always_gets_the_same_addresses()
    {
        var first = AddressPlan.For(ManyServices(10));
        var second = AddressPlan.For(ManyServices(10));
        Assert.Equal(first.Services.Select(s => (s.ClusterIP, string.Join(",", s.Ports.Select(p => p.NodePort)))),
            second.Services.Select(s => (s.ClusterIP, string.Join(",", s.Ports.Select(p => p.NodePort)))));
    }

    [Fact]
    public void An_explicit_cluster_ip_and_node_port_are_kept()
    {
        var lab = Labs.Valid().WithService(1, s => s with { ClusterIP = "10.96.0.5", Ports = [Labs.Port(8080, 8080, 30080)] });
        var api = Planned(lab, "api");
        Assert.Equal(IPAddress.Parse("10.96.0.5"), api.ClusterIP);
        Assert.Equal(30080, Assert.Single(api.Ports).NodePort);
    }

    [Fact]
    public void An_explicit_value_wins_over_one_the_allocator_would_have_given_another_service()
    {
        var lab = Labs.Valid();
        var web = Planned(lab, "web");
        var api = Planned(lab, "api");
        var claiming = lab.AddService(Labs.Service("claims", ServiceType.NodePort, "web", Labs.Port(80, 8080, api.Ports[0].NodePort))
            with { ClusterIP = web.ClusterIP!.ToString() });

        Assert.Empty(Problems.Of(claiming));
        var plan = AddressPlan.For(claiming);
        var claims = plan.Services.Single(s => s.Spec.Name == "claims");
        Assert.Equal(web.ClusterIP, claims.ClusterIP);
        Assert.Equal(api.Ports[0].NodePort, claims.Ports[0].NodePort);
        Assert.NotEqual(web.ClusterIP, plan.Services.Single(s => s.Spec.Name == "web").ClusterIP);
        Assert.NotEqual(api.Ports[0].NodePort, plan.Services.Single(s => s.Spec.Name == "api").Ports[0].NodePort);
    }

    [Fact]
    public void Headless_and_external_name_services_get_no_cluster_ip()
    {
        var lab = Labs.Valid()
            .WithService(0, s => s with { ClusterIP = "None" })
            .AddService(new ServiceSpec { Name = "ext", Type = ServiceType.ExternalName, ExternalName = "example.com" });

        Assert.Null(Planned(lab, "web").ClusterIP);
        Assert.Null(Planned(lab, "ext").ClusterIP);
        Assert.NotNull(Planned(lab, "api").ClusterIP);
    }

    [Fact]
    public void Only_node_port_and_load_balancer_services_get_node_ports()
    {
        var lab = Labs.Valid().AddService(Labs.Service("lb", ServiceType.LoadBalancer, "web", Labs.Port(80, 8080)));

        Assert.Equal(0, Assert.Single(Planned(lab, "web").Ports).NodePort);
        Assert.NotEqual(0, Assert.Single(Planned(lab, "api").Ports).NodePort);
        Assert.NotEqual(0, Assert.Single(Planned(lab, "lb").Ports).NodePort);
    }

    [Fact]
    public void Allocation_keeps_every_other_field_of_a_port()
    {
        var lab = Labs.Valid().WithService(1, s => s with { Ports = [new ServicePortSpec { Name = "dns", Port = 53, TargetPort = 5353, Protocol = TransportProtocol.UDP }] });
        var port = Assert.Single(Planned(lab, "api").Ports);
        Assert.Equal(("dns", 53, 5353, TransportProtocol.UDP), (port.Name, port.Port, port.TargetPort, port.Protocol));
    }
}
