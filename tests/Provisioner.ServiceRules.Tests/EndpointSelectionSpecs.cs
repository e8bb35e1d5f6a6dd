using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;

namespace Provisioner.ServiceRules.Tests;

/// <summary>Ready endpoints serve; terminating ones only where none is ready: cluster-wide, or per node for Local policies.</summary>
public sealed class EndpointSelectionSpecs
{
    private static readonly NodeContext NodeA = new("node-a", ["192.168.77.1"], "10.244.0.0/16", "10.96.0.0/16");

    private static ResolvedServicePort Resolve(TrafficPolicy policy, params Endpoint[] endpoints) =>
        ServiceResolver.Resolve(new ServiceTable([new Service
        {
            Namespace = "lab", Name = "web", ClusterIP = "10.96.0.10", Ports = [new ServicePort("http", 80, 8080)],
            InternalTrafficPolicy = policy, Endpoints = endpoints,
        }]), NodeA).Ports.Single();

    private static Endpoint Terminating(string address, string node) => new(address, node, Ready: false, Terminating: true);

    [Fact]
    public void A_terminating_endpoint_serves_only_when_no_endpoint_is_ready_anywhere()
    {
        Assert.Equal(["10.244.2.2"], Resolve(TrafficPolicy.Cluster, Terminating("10.244.1.3", "node-a"), new Endpoint("10.244.2.2", "node-b"))
            .AllEndpoints.Select(e => e.Address));
        Assert.Equal(["10.244.1.3"], Resolve(TrafficPolicy.Cluster, Terminating("10.244.1.3", "node-a"), new Endpoint("10.244.2.2", "node-b", Ready: false))
            .AllEndpoints.Select(e => e.Address));
    }

    [Fact]
    public void With_Local_policy_the_fallback_is_decided_per_node()
    {
        var port = Resolve(TrafficPolicy.Local, Terminating("10.244.1.3", "node-a"), new Endpoint("10.244.2.2", "node-b"));
        Assert.Equal(["10.244.1.3"], port.LocalEndpoints.Select(e => e.Address));
        Assert.Equal(["10.244.1.3"], port.InternalEndpoints.Select(e => e.Address));

        port = Resolve(TrafficPolicy.Local, Terminating("10.244.1.3", "node-a"), new Endpoint("10.244.1.2", "node-a"));
        Assert.Equal(["10.244.1.2"], port.LocalEndpoints.Select(e => e.Address));
    }

    [Theory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.Nftables)]
    public void Both_backends_compile_a_local_terminating_endpoint_the_cluster_wide_choice_leaves_out(RuleBackend backend)
    {
        var table = new ServiceTable([new Service
        {
            Namespace = "lab", Name = "web", ClusterIP = "10.96.0.10", Ports = [new ServicePort("http", 80, 8080)],
            InternalTrafficPolicy = TrafficPolicy.Local, Endpoints = [Terminating("10.244.1.3", "node-a"), new Endpoint("10.244.2.2", "node-b")],
        }]);

        var rules = DesiredRules.Of(backend, table, NodeA); // the iptables chain graph is checked here: every jump declared

        var text = backend == RuleBackend.Iptables
            ? string.Join("\n", rules.Iptables!.Chains.SelectMany(c => c.Rules).Select(r => r.ToString()))
            : string.Join("\n", rules.Nft!.Chains.Concat(rules.Nft.Sets.SelectMany(x => x.Elements).Select(e => e.Text)));
        Assert.Contains("10.244.1.3:8080", text, StringComparison.Ordinal);
    }
}
