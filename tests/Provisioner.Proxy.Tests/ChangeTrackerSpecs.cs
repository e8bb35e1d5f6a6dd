using k8s;
using Provisioner.Proxy.Config;
using Provisioner.Proxy.Tracking;
using Provisioner.ServiceRules.Model;
using static Provisioner.Proxy.Tests.Fakes.Api;

namespace Provisioner.Proxy.Tests;

/// <summary>API objects in, the rules' service table out: what kube-proxy's change trackers do.</summary>
public sealed class ChangeTrackerSpecs
{
    private static readonly ProxyConfigFile Config = ProxyConfigFile.Parse("clusterCIDR: 10.244.0.0/16\nserviceCIDR: 10.96.0.0/16\n");

    private static readonly (string, int, string)[] Http = [("http", 8080, "TCP")];

    private static ChangeTracker Tracker()
    {
        var tracker = new ChangeTracker("node-a", Config);
        tracker.ReplaceNodes([Node("node-a", "192.168.77.1"), Node("node-b", "192.168.77.2")]);
        return tracker;
    }

    private static int Resourced;

    /// <summary>The fake API server sets resourceVersions; a tracker fed directly needs them too.</summary>
    private static T Versioned<T>(T item) where T : IKubernetesObject<k8s.Models.V1ObjectMeta>
    {
        item.Metadata.ResourceVersion = Interlocked.Increment(ref Resourced).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return item;
    }

    [Fact]
    public void I_get_a_service_with_its_ready_endpoints_and_the_nodes_address_from_a_Service_its_slices_and_the_Node()
    {
        var tracker = Tracker();
        tracker.ReplaceServices([Versioned(Service("web", "10.96.0.10", Port("http", 80, 8080)))]);
        tracker.ReplaceSlices([
            Versioned(Slice("web-1", "web", Http, Endpoint("10.244.1.2", "node-a"), Endpoint("10.244.1.3", "node-a", ready: false))),
            Versioned(Slice("web-2", "web", [("http", 9090, "TCP")], Endpoint("10.244.2.2", "node-b"))),
        ]);

        var snapshot = tracker.Snapshot();

        var web = Assert.Single(snapshot.Table.Services);
        Assert.Equal("lab/web", web.Key);
        Assert.Equal(["10.244.1.2", "10.244.2.2"], web.Endpoints.Select(e => e.Address));
        Assert.Equal(9090, web.Endpoints[1].PortFor(web.Ports[0])); // the slice's port, not the service's targetPort
        Assert.Equal(["192.168.77.1"], snapshot.Node.NodeIPs);
        Assert.Empty(snapshot.SkipReasons);
    }

    private static IEnumerable<string> Serving(ChangeTracker tracker, bool local = false)
    {
        var snapshot = tracker.Snapshot();
        var port = ServiceResolver.Resolve(snapshot.Table, snapshot.Node).Ports.Single();
        return (local ? port.LocalEndpoints : port.AllEndpoints).Select(e => e.Address);
    }

    [Fact]
    public void Terminating_endpoints_serve_only_when_no_ready_one_is_left()
    {
        var tracker = Tracker();
        tracker.ReplaceServices([Versioned(Service("web", "10.96.0.10", Port("http", 80, 8080)))]);
        tracker.OnSlice(WatchEventType.Added, Versioned(Slice("web-1", "web", Http,
            Endpoint("10.244.1.2", "node-a"), Endpoint("10.244.1.3", "node-a", ready: false, terminating: true),
            Endpoint("10.244.1.4", "node-a", ready: false))));
        Assert.Equal(["10.244.1.2"], Serving(tracker));

        tracker.OnSlice(WatchEventType.Modified, Versioned(Slice("web-1", "web", Http,
            Endpoint("10.244.1.2", "node-a", ready: false), Endpoint("10.244.1.3", "node-a", ready: false, terminating: true))));
        Assert.Equal(["10.244.1.3"], Serving(tracker));
    }

    [Fact]
    public void With_a_Local_policy_a_node_without_a_ready_endpoint_of_its_own_uses_its_terminating_one_while_other_nodes_have_ready_ones()
    {
        var tracker = Tracker(); // node-a's tracker
        var service = Service("web", "10.96.0.10", Port("http", 80, 8080));
        service.Spec.InternalTrafficPolicy = "Local";
        tracker.ReplaceServices([Versioned(service)]);
        tracker.OnSlice(WatchEventType.Added, Versioned(Slice("web-1", "web", Http,
            Endpoint("10.244.1.3", "node-a", ready: false, terminating: true), Endpoint("10.244.2.2", "node-b"))));

        Assert.Equal(["10.244.1.3"], Serving(tracker, local: true)); // per node, as kube-proxy's CategorizeEndpoints
        tracker.MarkAllChanged();
        Assert.Equal(["10.244.2.2"], Serving(tracker)); // cluster-wide a ready one is left: the terminating one is not used

        tracker.OnSlice(WatchEventType.Modified, Versioned(Slice("web-1", "web", Http,
            Endpoint("10.244.1.3", "node-a", ready: false, terminating: true), Endpoint("10.244.1.2", "node-a"), Endpoint("10.244.2.2", "node-b"))));
        Assert.Equal(["10.244.1.2"], Serving(tracker, local: true)); // a ready local one is back: it alone serves
    }

    [Fact]
    public void Bad_services_and_orphan_slices_are_skipped_with_their_reason_and_the_others_go_on()
    {
        var tracker = Tracker();
        tracker.ReplaceServices([
            Versioned(Service("web", "10.96.0.10", Port("http", 80, 8080))),
            Versioned(Service("badport", "10.96.0.11", Port("http", 70000, 8080))),
            Versioned(Service("outside", "10.1.2.3", Port("http", 80, 8080))),
            Versioned(Service("weird", "10.96.0.12", Port("http", 80, 8080, protocol: "QUIC"))),
            Versioned(Service("twin", "10.96.0.10", Port("http", 80, 8080))), // the same frontend as web
        ]);
        tracker.ReplaceSlices([Versioned(Slice("ghost-1", "ghost", Http, Endpoint("10.244.1.9", "node-a")))]);

        var snapshot = tracker.Snapshot();

        Assert.Equal(["lab/web"], snapshot.Table.Services.Select(s => s.Key));
        var reasons = string.Join("\n", snapshot.SkipReasons);
        Assert.Contains("lab/badport: skipped: ports[0].port: 70000 is not a port", reasons);
        Assert.Contains("lab/outside: skipped: clusterIP: 10.1.2.3 is outside the service CIDR 10.96.0.0/16", reasons);
        Assert.Contains("lab/weird: skipped: spec.ports[0].protocol: 'QUIC' is not one of TCP, UDP, SCTP", reasons);
        Assert.Contains("lab/twin: skipped: clusterIP: 10.96.0.10:80/TCP is already served by lab/web", reasons);
        Assert.Contains("EndpointSlice lab/ghost-1: skipped: its Service lab/ghost does not exist", reasons);
        Assert.Empty(tracker.Snapshot().SkipReasons); // each reason is logged once, not at every sync
    }

    [Fact]
    public void A_replayed_event_or_an_unchanged_relist_marks_nothing_changed()
    {
        var tracker = Tracker();
        var web = Versioned(Service("web", "10.96.0.10", Port("http", 80, 8080)));
        var api = Versioned(Service("api", "10.96.0.11", Port("http", 80, 8080)));
        tracker.ReplaceServices([web, api]);
        _ = tracker.Snapshot();

        tracker.OnService(WatchEventType.Modified, web);
        tracker.ReplaceServices([web, api]);
        Assert.Null(tracker.OldestPending);
        Assert.Empty(tracker.Snapshot().ChangedServices);

        tracker.ReplaceServices([web]); // api was deleted while the watch was down
        var snapshot = tracker.Snapshot();
        Assert.Equal(["lab/api"], snapshot.ChangedServices);
        Assert.Equal(["lab/web"], snapshot.Table.Services.Select(s => s.Key));
    }

    [Fact]
    public void Node_ports_load_balancer_ingress_external_IPs_affinity_and_Local_policies_come_through()
    {
        var tracker = Tracker();
        var lb = Service("lb", "10.96.0.20", Port("dns", 53, 5353, "UDP", nodePort: 30053));
        lb.Spec.Type = "LoadBalancer";
        lb.Spec.ExternalIPs = ["192.168.77.50"];
        lb.Spec.SessionAffinity = "ClientIP";
        lb.Spec.SessionAffinityConfig = new k8s.Models.V1SessionAffinityConfig { ClientIP = new k8s.Models.V1ClientIPConfig { TimeoutSeconds = 60 } };
        lb.Spec.ExternalTrafficPolicy = "Local";
        lb.Spec.InternalTrafficPolicy = "Local";
        lb.Status = new k8s.Models.V1ServiceStatus { LoadBalancer = new k8s.Models.V1LoadBalancerStatus { Ingress = [new k8s.Models.V1LoadBalancerIngress { Ip = "192.168.77.60" }] } };
        tracker.ReplaceServices([Versioned(lb)]);

        var service = Assert.Single(tracker.Snapshot().Table.Services);

        Assert.Equal(ServiceType.LoadBalancer, service.Type);
        Assert.Equal(new ServicePort("dns", 53, 5353, ServiceProtocol.UDP, 30053), service.Ports[0]);
        Assert.Equal(["192.168.77.50"], service.ExternalIPs);
        Assert.Equal(["192.168.77.60"], service.LoadBalancerIPs);
        Assert.Equal((SessionAffinity.ClientIP, 60), (service.SessionAffinity, service.SessionAffinityTimeoutSeconds));
        Assert.Equal((TrafficPolicy.Local, TrafficPolicy.Local), (service.ExternalTrafficPolicy, service.InternalTrafficPolicy));
    }
}
