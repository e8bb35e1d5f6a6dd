using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Tests.Lab;
using Provisioner.Testing;
using static Provisioner.ServiceRules.Tests.Lab.TwoNodeLab;

namespace Provisioner.ServiceRules.Tests;

/// <summary>Real packets through the rules, for every backend: two nodes, pods answering with their name.</summary>
[Collection(PrivilegedCollection.Name)]
public sealed class ServiceTrafficSpecs
{
    private static readonly Endpoint[] AllServers = [EndpointOf("a1"), EndpointOf("a2"), EndpointOf("b1")];

    private static Service Svc(string name, string clusterIp, params Endpoint[] endpoints) => new()
    {
        Namespace = "lab", Name = name, ClusterIP = clusterIp,
        Ports = [new ServicePort("http", 80, ServerPort)],
        Endpoints = endpoints,
    };

    private static readonly Service Web = Svc("web", "10.96.0.10", AllServers);

    private static readonly Service WebNodePort = Svc("web-np", "10.96.0.11", AllServers) with
    {
        Type = ServiceType.NodePort, Ports = [new ServicePort("http", 80, ServerPort, NodePort: 30080)],
    };

    private static readonly Service Sticky = Svc("sticky", "10.96.0.12", AllServers) with { SessionAffinity = SessionAffinity.ClientIP };

    private static readonly Service StickyNodePort = Svc("sticky-np", "10.96.0.16", AllServers) with
    {
        Type = ServiceType.NodePort, Ports = [new ServicePort("http", 80, ServerPort, NodePort: 30082)], SessionAffinity = SessionAffinity.ClientIP,
    };

    private static readonly Service LocalOnly = Svc("local", "10.96.0.13", AllServers) with
    {
        Type = ServiceType.NodePort, Ports = [new ServicePort("http", 80, ServerPort, NodePort: 30081)],
        ExternalTrafficPolicy = TrafficPolicy.Local,
    };

    private static readonly Service Empty = Svc("empty", "10.96.0.14");

    private static readonly Service Self = Svc("self", "10.96.0.15", EndpointOf("a1"));

    private static ServiceTable Table { get; } = new([Web, WebNodePort, Sticky, StickyNodePort, LocalOnly, Empty, Self]);

    private static async Task ApplyOnBothNodes(TwoNodeLab lab, RuleBackend backend, ServiceTable table)
    {
        foreach (var (node, context) in (List<(string, NodeContext)>)[(lab.NodeA, ContextA), (lab.NodeB, ContextB)])
        {
            var applied = await new ServiceRulesApplier(backend, node).ApplyAsync(table, context);
            if (backend == RuleBackend.IptablesLegacy) // a first sync into empty tables: the x_tables images carry the traffic
                Assert.StartsWith(LegacyDirectLoad.Writer, applied.Writer, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// 45 requests over 3 endpoints: each expects 15. 2..30 fails for an endpoint left out or one taking most of the
    /// traffic, and a fair spread falls outside it once in ~10^5 runs (5..25 failed about 1 run in 100 over all asserts).
    /// </summary>
    private static void AssertEvenShare(Dictionary<string, int> tally, params string[] pods)
    {
        Assert.Equal(pods.Order(), tally.Keys.Order());
        foreach (var pod in pods)
            Assert.InRange(tally[pod], 2, 30);
    }

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.IptablesLegacy)]
    [InlineData(RuleBackend.Nftables)]
    public async Task A_cluster_IP_reaches_every_endpoint_from_a_pod_on_either_node(RuleBackend backend)
    {
        using var lab = new TwoNodeLab();
        await ApplyOnBothNodes(lab, backend, Table);

        AssertEvenShare(lab.Tally(lab.Pod("ac"), "10.96.0.10", 80, 45), "a1", "a2", "b1");
        AssertEvenShare(lab.Tally(lab.Pod("bc"), "10.96.0.10", 80, 45), "a1", "a2", "b1");
    }

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.IptablesLegacy)]
    [InlineData(RuleBackend.Nftables)]
    public async Task A_node_port_answers_from_the_node_itself_and_from_outside_the_nodes(RuleBackend backend)
    {
        using var lab = new TwoNodeLab();
        await ApplyOnBothNodes(lab, backend, Table);

        var fromOutside = lab.Tally(lab.OutsideClient, NodeAIp, 30080, 30);
        var fromNode = lab.Tally(lab.NodeB, NodeBIp, 30080, 30);
        var outsideAnswer = lab.Get(lab.OutsideClient, NodeBIp, 30080);

        Assert.Equal(["a1", "a2", "b1"], fromOutside.Keys.Order());
        Assert.Equal(["a1", "a2", "b1"], fromNode.Keys.Order());
        Assert.NotEqual(OutsideClientIp, outsideAnswer.ClientAddress); // Cluster policy masquerades
    }

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.IptablesLegacy)]
    [InlineData(RuleBackend.Nftables)]
    public async Task A_pod_reaches_itself_through_its_own_service(RuleBackend backend)
    {
        using var lab = new TwoNodeLab();
        await ApplyOnBothNodes(lab, backend, Table);

        var answer = lab.Get(lab.Pod("a1"), "10.96.0.15", 80);

        Assert.True(answer.Pod == "a1", $"hairpin failed: {answer}");
    }

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.IptablesLegacy)]
    [InlineData(RuleBackend.Nftables)]
    public async Task ClientIP_affinity_sends_a_client_to_the_same_endpoint(RuleBackend backend)
    {
        using var lab = new TwoNodeLab();
        await ApplyOnBothNodes(lab, backend, Table);

        var fromA = lab.Tally(lab.Pod("ac"), "10.96.0.12", 80, 15);
        var fromB = lab.Tally(lab.Pod("bc"), "10.96.0.12", 80, 15);

        Assert.Single(fromA);
        Assert.Single(fromB);
        Assert.DoesNotContain(fromA.Keys, k => k.StartsWith("(failed", StringComparison.Ordinal));
    }

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.IptablesLegacy)]
    [InlineData(RuleBackend.Nftables)]
    public async Task Every_connection_of_an_affinity_client_to_a_Cluster_node_port_is_masqueraded_not_only_its_first(RuleBackend backend)
    {
        using var lab = new TwoNodeLab();
        await ApplyOnBothNodes(lab, backend, Table);

        var answers = Enumerable.Range(0, 8).Select(_ => lab.Get(lab.OutsideClient, NodeAIp, 30082)).ToList();

        Assert.All(answers, a => Assert.True(a.Pod is not null, $"connection failed: {a}")); // an unmasqueraded reply from b1 would bypass node A
        Assert.Single(answers.Select(a => a.Pod).Distinct());
        Assert.All(answers, a => Assert.NotEqual(OutsideClientIp, a.ClientAddress));
    }

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.IptablesLegacy)]
    [InlineData(RuleBackend.Nftables)]
    public async Task Local_policy_keeps_the_client_address_and_uses_only_local_endpoints(RuleBackend backend)
    {
        using var lab = new TwoNodeLab();
        await ApplyOnBothNodes(lab, backend, Table);

        var answers = Enumerable.Range(0, 20).Select(_ => lab.Get(lab.OutsideClient, NodeAIp, 30081)).ToList();
        var onB = lab.Get(lab.OutsideClient, NodeBIp, 30081);

        Assert.All(answers, a => Assert.Contains(a.Pod, new[] { "a1", "a2" }));
        Assert.All(answers, a => Assert.Equal(OutsideClientIp, a.ClientAddress));
        Assert.Equal("b1", onB.Pod);
        Assert.Equal(OutsideClientIp, onB.ClientAddress);
    }

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.IptablesLegacy)]
    [InlineData(RuleBackend.Nftables)]
    public async Task A_service_without_endpoints_refuses_at_once(RuleBackend backend)
    {
        using var lab = new TwoNodeLab();
        await ApplyOnBothNodes(lab, backend, Table);

        var answer = lab.Get(lab.Pod("ac"), "10.96.0.14", 80);

        Assert.Null(answer.Pod);
        Assert.Contains("refused", answer.Error, StringComparison.OrdinalIgnoreCase);
        Assert.True(answer.Elapsed < TimeSpan.FromSeconds(1.5), $"took {answer.Elapsed}: a timeout, not a refusal");
    }

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.IptablesLegacy)]
    [InlineData(RuleBackend.Nftables)]
    public async Task An_endpoint_removed_stops_receiving(RuleBackend backend)
    {
        using var lab = new TwoNodeLab();
        await ApplyOnBothNodes(lab, backend, Table);
        var smaller = Table.WithService(Web with { Endpoints = [EndpointOf("a1"), EndpointOf("b1")] });

        var result = await new ServiceRulesApplier(backend, lab.NodeA).ApplyAsync(smaller, ContextA);
        var tally = lab.Tally(lab.Pod("ac"), "10.96.0.10", 80, 30);

        Assert.Equal(["a1", "b1"], tally.Keys.Order());
        Assert.False(result.Plan.FullSync);
        Assert.InRange(result.Plan.Changes.Count, 1, 8); // only web's lines, not the table
    }
}
