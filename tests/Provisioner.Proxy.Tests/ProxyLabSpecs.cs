using Provisioner.Proxy.Tests.Fakes;
using Provisioner.Proxy.Tests.Lab;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;
using Provisioner.Testing;
using static Provisioner.Proxy.Tests.Fakes.Api;
using static Provisioner.ServiceRules.Tests.Lab.TwoNodeLab;
using ServicePort = Provisioner.ServiceRules.Model.ServicePort;

namespace Provisioner.Proxy.Tests;

/// <summary>
/// The real netlab proxy process, fed by the fake API server, programming a real lab node: rules appear, packets
/// cross to the right pods, and after every change in the API the kernel holds exactly the rules for its state.
/// </summary>
[Collection(PrivilegedCollection.Name)]
public sealed class ProxyLabSpecs(LabFixture fixture) : IClassFixture<LabFixture>
{
    private static readonly (string, int, string)[] Http = [("http", ServerPort, "TCP")];
    private static readonly ServicePort WebPort = new("http", 80, ServerPort);
    private static readonly ServicePort NodePortPort = new("http", 80, ServerPort, NodePort: 30080);

    private static k8s.Models.V1Endpoint Pod(string pod, bool ready = true, bool terminating = false) =>
        Servers.Single(s => s.Pod == pod) is var s ? Endpoint(s.Address, s.Node, ready, terminating) : throw new InvalidOperationException();

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.Nftables)]
    public async Task I_can_reach_a_ClusterIP_and_a_NodePort_that_netlab_proxy_programmed_from_the_API(RuleBackend backend)
    {
        var lab = fixture.Lab;
        await using var proxy = await ProxyLab.StartAsync(lab, backend);
        proxy.Api.Upsert(Service("web", "10.96.0.10", Port("http", 80, ServerPort)));
        proxy.Api.Upsert(Slice("web-1", "web", Http, Pod("a1"), Pod("a2"), Pod("b1")));
        proxy.Api.Upsert(Service("web-np", "10.96.0.11", Port("http", 80, ServerPort, nodePort: 30080)).NodePort());
        proxy.Api.Upsert(Slice("web-np-1", "web-np", Http, Pod("a1"), Pod("b1")));
        proxy.Api.Upsert(Service("outside", "10.1.2.3", Port("http", 80, ServerPort))); // bad input: skipped, blocks nothing

        await proxy.ConvergedAsync(
            ProxyLab.Expected("web", "10.96.0.10", WebPort, "a1", "a2", "b1"),
            ProxyLab.Expected("web-np", "10.96.0.11", NodePortPort, "a1", "b1"));

        var tally = lab.Tally(lab.Pod("ac"), "10.96.0.10", 80, 30);
        Assert.Equal(["a1", "a2", "b1"], tally.Keys.Order());
        var fromOutside = lab.Get(lab.OutsideClient, NodeAIp, 30080);
        Assert.Contains(fromOutside.Pod, new[] { "a1", "b1" });
        await proxy.Proxy.LineAsync(0, "lab/outside: skipped: clusterIP: 10.1.2.3 is outside the service CIDR 10.96.0.0/16");
        Assert.StartsWith("200 ", await ProxyProcess.GetAsync(proxy.Proxy.HealthzPort, "/healthz"));
        Assert.StartsWith("200 ", await ProxyProcess.GetAsync(proxy.Proxy.HealthzPort, "/livez"));
        var metrics = await ProxyProcess.GetAsync(proxy.Proxy.MetricsPort, "/metrics");
        Assert.Contains("netlab_proxy_sync_proxy_rules_duration_seconds_bucket{kind=\"full\"", metrics);
        Assert.Contains("netlab_proxy_services 2", metrics);
        Assert.Contains("netlab_proxy_endpoints 5", metrics);
    }

    [PrivilegedFact]
    public async Task After_every_change_in_the_API_the_kernel_holds_exactly_the_rules_for_its_state()
    {
        var lab = fixture.Lab;
        await using var proxy = await ProxyLab.StartAsync(lab, RuleBackend.Iptables);
        var api = proxy.Api;
        var other = ProxyLab.Expected("other", "10.96.0.20", WebPort, "b1");
        api.Upsert(Service("other", "10.96.0.20", Port("http", 80, ServerPort)));
        api.Upsert(Slice("other-1", "other", Http, Pod("b1")));
        api.Upsert(Service("web", "10.96.0.10", Port("http", 80, ServerPort)));
        api.Upsert(Slice("web-1", "web", Http, Pod("a1")));
        await proxy.ConvergedAsync(other, ProxyLab.Expected("web", "10.96.0.10", WebPort, "a1"));

        // internalTrafficPolicy Local: node-a's only endpoint terminates while node-b's is ready; node-a still uses its
        // own (kube-proxy decides the fallback per node), where a cluster-wide choice would leave it none.
        var local = Service("local", "10.96.0.21", Port("http", 80, ServerPort));
        local.Spec.InternalTrafficPolicy = "Local";
        api.Upsert(local);
        api.Upsert(Slice("local-1", "local", Http, Pod("a2", ready: false, terminating: true), Pod("b1")));
        await proxy.ConvergedAsync(other, ProxyLab.Expected("web", "10.96.0.10", WebPort, "a1"),
            ProxyLab.Expected("local", "10.96.0.21", WebPort, "b1") with
            {
                InternalTrafficPolicy = TrafficPolicy.Local, Endpoints = [EndpointOf("a2") with { Ready = false, Terminating = true }, EndpointOf("b1")],
            });
        Assert.Equal(["a2"], lab.Tally(lab.Pod("ac"), "10.96.0.21", 80, 4).Keys);
        api.Delete(local);
        api.Delete(Slice("local-1", "local", Http));
        await proxy.ConvergedAsync(other, ProxyLab.Expected("web", "10.96.0.10", WebPort, "a1"));

        api.Upsert(Slice("web-1", "web", Http, Pod("a1"), Pod("a2"), Pod("b1"))); // scale up
        await proxy.ConvergedAsync(other, ProxyLab.Expected("web", "10.96.0.10", WebPort, "a1", "a2", "b1"));

        api.Upsert(Slice("web-1", "web", Http, Pod("a2"), Pod("b1"))); // scale down
        await proxy.ConvergedAsync(other, ProxyLab.Expected("web", "10.96.0.10", WebPort, "a2", "b1"));

        api.Upsert(Slice("web-1", "web", Http, Pod("a2"), Pod("b1", ready: false))); // b1 not ready
        await proxy.ConvergedAsync(other, ProxyLab.Expected("web", "10.96.0.10", WebPort, "a2"));
        Assert.Equal(["a2"], lab.Tally(lab.Pod("ac"), "10.96.0.10", 80, 6).Keys);

        api.Upsert(Slice("web-1", "web", Http, Pod("a2", ready: false, terminating: true))); // the last one terminates: it still serves
        await proxy.ConvergedAsync(other, ProxyLab.Expected("web", "10.96.0.10", WebPort, "a2"));

        api.Upsert(Slice("web-1", "web", Http, Pod("a2", ready: false, terminating: true), Pod("a1"))); // a ready one is back
        await proxy.ConvergedAsync(other, ProxyLab.Expected("web", "10.96.0.10", WebPort, "a1"));

        api.DropWatches(); // changes while the watch is down are picked up from the last version seen
        api.Upsert(Slice("web-1", "web", Http, Pod("a1"), Pod("b1")));
        await proxy.ConvergedAsync(other, ProxyLab.Expected("web", "10.96.0.10", WebPort, "a1", "b1"));

        api.DropWatchesWhile(() => // and after a compaction, from a relist (made before any watch can reopen)
        {
            api.Delete(Slice("other-1", "other", Http));
            api.Compact();
        });
        await proxy.ConvergedAsync(ProxyLab.Expected("other", "10.96.0.20", WebPort), ProxyLab.Expected("web", "10.96.0.10", WebPort, "a1", "b1"));
        await proxy.Proxy.LineAsync(0, "410 Gone");

        api.Delete(Service("web", "10.96.0.10"));
        api.Delete(Service("other", "10.96.0.20"));
        await proxy.ConvergedAsync();
        var refused = lab.Get(lab.Pod("ac"), "10.96.0.10", 80);
        Assert.Null(refused.Pod);
    }
}
