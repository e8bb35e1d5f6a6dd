using Provisioner.Core.Model;
using Provisioner.Core.Tests.Support;

namespace Provisioner.Core.Tests.Validation;

public class ServiceValidationSpecs
{
    private static readonly LabConfig Lab = Labs.Valid();

    [Fact]
    public void It_refuses_two_services_with_one_name_in_one_namespace()
    {
        var lab = Lab.AddService(Labs.Service("web", ServiceType.ClusterIP, "web", Labs.Port(81)));
        Problems.Only(lab).Names("services[2].name", "web").Says("is used by another service in namespace default")
            .FixedBySetting("services[2].name", "webb");
    }

    [Theory]
    [InlineData("Web")]
    [InlineData("web_svc")]
    [InlineData("9web")]
    public void It_refuses_a_service_name_that_is_not_a_dns_label(string name)
    {
        Problems.Only(Lab.WithService(0, s => s with { Name = name })).Names("services[0].name", name)
            .Says("must be 1-30 characters of lowercase letters").FixedBySetting("services[0].name", "web");
    }

    [Fact]
    public void It_accepts_one_name_in_two_namespaces() =>
        Assert.Empty(Problems.Of((Lab with { Pods = Lab.Pods.Add(Labs.Pod("web-9", "worker1", "web") with { Namespace = "other" }) })
            .AddService(Labs.Service("web", ServiceType.ClusterIP, "web", Labs.Port(80)) with { Namespace = "other" })));

    [Theory]
    [InlineData("10.97.0.5")]
    [InlineData("192.168.64.20")]
    [InlineData("not-an-ip")]
    [InlineData("10.96.5")]
    [InlineData("fd00::5")]
    public void It_refuses_a_cluster_ip_outside_the_service_range(string ip)
    {
        var lab = Lab.WithService(0, s => s with { ClusterIP = ip });
        Problems.Only(lab).Names("services[0].clusterIP", ip).Says("must be an address inside network.serviceCidr (10.96.0.0/16)")
            .Fixes("remove it to have one allocated, or pick one inside 10.96.0.0/16");
    }

    [Theory]
    [InlineData("10.96.0.0")]
    [InlineData("10.96.0.1")]
    [InlineData("10.96.0.10")]
    [InlineData("10.96.255.255")]
    public void It_refuses_a_reserved_cluster_ip(string ip)
    {
        var lab = Lab.WithService(0, s => s with { ClusterIP = ip });
        Problems.Only(lab).Names("services[0].clusterIP", ip).Says("is reserved").Fixes("remove it to have one allocated");
    }

    [Fact]
    public void It_refuses_a_cluster_ip_two_services_claim()
    {
        var lab = Lab.WithService(0, s => s with { ClusterIP = "10.96.3.3" }).WithService(1, s => s with { ClusterIP = "10.96.3.3" });
        Problems.Only(lab).Names("services[1].clusterIP", "10.96.3.3").Says("is already used by service web");
    }

    [Theory]
    [InlineData(29999)]
    [InlineData(32768)]
    public void It_refuses_a_node_port_outside_the_range(int nodePort)
    {
        var lab = Lab.WithService(1, s => s with { Ports = [Labs.Port(8080, 8080, nodePort)] });
        Problems.Only(lab).Names("services[1].ports[0].nodePort", nodePort.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Says("is outside the node-port range 30000-32767").Fixes("remove it to have one allocated");
    }

    [Fact]
    public void It_refuses_a_node_port_two_services_claim()
    {
        var lab = Lab.WithService(1, s => s with { Ports = [Labs.Port(8080, 8080, 30080)] })
            .AddService(Labs.Service("web-np", ServiceType.NodePort, "web", Labs.Port(80, 8080, 30080)));
        Problems.Only(lab).Names("services[2].ports[0].nodePort", "30080").Says("is already used by service api");
    }

    [Fact]
    public void It_refuses_a_node_port_on_a_cluster_ip_service()
    {
        var lab = Lab.WithService(0, s => s with { Ports = [Labs.Port(80, 8080, 30080)] });
        Problems.Only(lab).Names("services[0].ports[0].nodePort", "30080").Says("is only for NodePort and LoadBalancer services")
            .FixedBySetting("services[0].type", "NodePort");
    }

    [Fact]
    public void It_refuses_a_port_listed_twice_with_one_protocol()
    {
        var lab = Lab.WithService(0, s => s with { Ports = [Labs.Port(80, 8080), Labs.Port(80, 9090)] });
        Problems.Only(lab).Names("services[0].ports[1].port", "80/TCP").Says("is listed twice in this service").Fixes("remove the duplicate port");
    }

    [Fact]
    public void It_accepts_one_port_number_for_tcp_and_udp()
    {
        var lab = Lab.WithService(0, s => s with { Ports = [Labs.Port(53), Labs.Port(53) with { Protocol = TransportProtocol.UDP }] });
        Assert.Empty(Problems.Of(lab));
    }

    [Fact]
    public void It_refuses_a_service_without_ports()
    {
        var lab = Lab.WithService(0, s => s with { Ports = [] });
        Problems.Only(lab).Names("services[0].ports", null).Says("lists no ports").Fixes("pulumi config set --path 'services[0].ports[0].port' 80");
    }

    [Theory]
    [InlineData(0, 8080, "port")]
    [InlineData(65536, 8080, "port")]
    [InlineData(80, -1, "targetPort")]
    [InlineData(80, 65536, "targetPort")]
    public void It_refuses_a_service_port_or_target_port_that_is_not_a_port(int port, int targetPort, string field)
    {
        var lab = Lab.WithService(0, s => s with { Ports = [Labs.Port(port, targetPort)] });
        var bad = field == "port" ? port : targetPort;
        Problems.Only(lab).Names($"services[0].ports[0].{field}", bad.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Says("must be a port from 1 to 65535").Fixes($"pulumi config set --path 'services[0].ports[0].{field}' ");
    }

    [Fact]
    public void It_refuses_a_selector_that_matches_no_pod_and_lists_the_pod_labels()
    {
        var lab = Lab.WithService(0, s => s with { Selector = Labs.Labels(("app", "wbe")) });
        Problems.Only(lab).Names("services[0].selector", "app=wbe").Says("matches no pod of the stack (pod labels: app=api, app=web)")
            .Fixes("change the selector or a pod's labels");
    }

    [Fact]
    public void A_selector_matches_a_pod_only_when_every_label_matches()
    {
        var pod = Labs.Pod("p", "cp1", "web") with { Labels = Labs.Labels(("app", "web"), ("tier", "front")) };
        Assert.True(Provisioner.Core.Validation.LabValidator.Selects(Labs.Service("s", ServiceType.ClusterIP, "web"), pod));
        Assert.False(Provisioner.Core.Validation.LabValidator.Selects(
            Labs.Service("s", ServiceType.ClusterIP, "web") with { Selector = Labs.Labels(("app", "web"), ("tier", "back")) }, pod));
        Assert.False(Provisioner.Core.Validation.LabValidator.Selects(
            Labs.Service("s", ServiceType.ClusterIP, "web") with { Selector = Labs.Labels() }, pod));
    }

    [Fact]
    public void It_refuses_the_local_external_traffic_policy_on_a_cluster_ip_service()
    {
        var lab = Lab.WithService(0, s => s with { ExternalTrafficPolicy = TrafficPolicy.Local });
        Problems.Only(lab).Names("services[0].externalTrafficPolicy", "Local").Says("applies only to NodePort and LoadBalancer services")
            .FixedBySetting("services[0].type", "NodePort");
        Assert.Empty(Problems.Of(Lab.WithService(1, s => s with { ExternalTrafficPolicy = TrafficPolicy.Local })));
    }

    [Fact]
    public void It_refuses_an_external_name_service_without_an_external_name()
    {
        var lab = Lab.AddService(new ServiceSpec { Name = "ext", Type = ServiceType.ExternalName });
        Problems.Only(lab).Names("services[2].externalName", null).Says("is required for type ExternalName")
            .FixedBySetting("services[2].externalName", "example.com");
        Assert.Empty(Problems.Of(Lab.AddService(new ServiceSpec { Name = "ext", Type = ServiceType.ExternalName, ExternalName = "example.com" })));
    }

    [Theory]
    [InlineData("not-an-ip")]
    [InlineData("300.1.1.1")]
    [InlineData("192.168.64")]
    [InlineData("")]
    public void It_refuses_an_external_ip_that_is_not_an_IPv4_address(string ip)
    {
        var lab = Lab.WithService(0, s => s with { ExternalIPs = ["192.168.64.200", ip] });
        Problems.Only(lab).Names("services[0].externalIPs[1]", ip).Says("is not an IPv4 address").Fixes("192.168.64.200");
    }

    [Fact]
    public void It_refuses_a_load_balancer_ip_that_is_not_an_IPv4_address()
    {
        var lab = Lab.WithService(1, s => s with { Type = ServiceType.LoadBalancer, LoadBalancerIP = "lb" });
        Problems.Only(lab).Names("services[1].loadBalancerIP", "lb").Says("is not an IPv4 address");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(86401)]
    public void It_refuses_a_session_affinity_timeout_out_of_range(int seconds)
    {
        var lab = Lab.WithService(0, s => s with { SessionAffinity = SessionAffinity.ClientIP, SessionAffinityTimeoutSeconds = seconds });
        Problems.Only(lab).Names("services[0].sessionAffinityTimeoutSeconds", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Says("must be from 1 to 86400").FixedBySetting("services[0].sessionAffinityTimeoutSeconds", "10800");
    }

    [Fact]
    public void It_refuses_a_service_range_with_no_room_for_the_services_to_allocate()
    {
        var lab = Lab.WithNetwork(n => n with { ServiceCidr = "10.96.0.0/28" });
        Problems.Only(lab).Names("network.serviceCidr", "10.96.0.0/28").Says("has room for 0 allocated ClusterIPs, but 2 services need one")
            .FixedBySetting("network.serviceCidr", "10.96.0.0/16");
    }

    [Fact]
    public void It_refuses_a_node_port_range_with_no_room_for_the_ports_to_allocate()
    {
        var lab = Lab.WithNetwork(n => n with { NodePortMin = 30000, NodePortMax = 30000 })
            .AddService(Labs.Service("web-np", ServiceType.NodePort, "web", Labs.Port(80, 8080)));
        Problems.Only(lab).Names("network.nodePortMax", "30000").Says("has room for 1 allocated node ports, but 2 service ports need one")
            .FixedBySetting("network.nodePortMax", "32767");
    }

    [Fact]
    public void A_headless_service_needs_no_cluster_ip_room()
    {
        var lab = Lab.WithNetwork(n => n with { ServiceCidr = "10.96.0.0/28" })
            .WithService(0, s => s with { ClusterIP = "None" })
            .WithService(1, s => s with { ClusterIP = "10.96.0.5" });
        Assert.Empty(Problems.Of(lab));
    }
}

public class ServiceProblemFollowUpSpecs
{
    [Fact]
    public void An_invalid_service_range_is_reported_once_not_again_for_every_explicit_cluster_ip()
    {
        var lab = Labs.Valid().WithNetwork(n => n with { ServiceCidr = "nope" }).WithService(0, s => s with { ClusterIP = "10.96.0.20" });
        Problems.Only(lab).Names("network.serviceCidr", "nope");
    }

    [Fact]
    public void A_service_port_without_a_port_number_is_reported_as_missing()
    {
        const string yaml = """
            config:
              netlab:nodes: [{ name: cp1, role: control-plane }]
              netlab:services: [{ name: s, ports: [{ targetPort: 8080 }] }]
            """;
        var problem = Assert.Single(Support.Stacks.ProblemsOf(yaml));
        problem.Names("services[0].ports[0].port", null).Says("is required").FixedBySetting("services[0].ports[0].port", "80");
    }
}
