using System.Net;
using Provisioner.Core.Model;
using Provisioner.Core.Policy;
using static Provisioner.Core.Tests.Policy.PolicyLabs;

namespace Provisioner.Core.Tests.Policy;

/// <summary>The facts of the upstream e2e scenarios (kubernetes test/e2e/network/netpol, cyclonus' truth tables).</summary>
public class PolicyEvaluatorSpecs
{
    [Fact]
    public void Without_policies_every_pod_reaches_every_pod()
    {
        Assert.Equal(Expect((_, _) => true), Matrix(Upstream("[]"), 80));
    }

    [Fact]
    public void A_default_deny_ingress_policy_isolates_its_namespace_only()
    {
        var lab = Upstream("[{name: deny-ingress, namespace: x, podSelector: {}}]");
        Assert.Equal(Expect((_, to) => !to.StartsWith("x/", StringComparison.Ordinal)), Matrix(lab, 80));
    }

    [Fact]
    public void Allow_from_the_same_namespace_admits_only_the_namespaces_own_pods()
    {
        var lab = Upstream("[{name: same-ns, namespace: x, podSelector: {}, ingress: [{from: [{podSelector: {}}]}]}]");
        Assert.Equal(Expect((from, to) => !to.StartsWith("x/", StringComparison.Ordinal) || from.StartsWith("x/", StringComparison.Ordinal)), Matrix(lab, 80));
    }

    [Fact]
    public void A_namespace_selector_by_label_admits_every_pod_of_the_matching_namespaces()
    {
        var lab = Upstream("[{name: from-y, namespace: x, podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}]}]}]");
        Assert.Equal(Expect((from, to) => to != "x/a" || from.StartsWith("y/", StringComparison.Ordinal)), Matrix(lab, 80));
    }

    [Fact]
    public void A_namespace_selected_by_its_name_label_matches_without_declared_labels()
    {
        var lab = Upstream("[{name: from-z, namespace: x, podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: z}}}]}]}]");
        Assert.Equal(Expect((from, to) => !to.StartsWith("x/", StringComparison.Ordinal) || from.StartsWith("z/", StringComparison.Ordinal)), Matrix(lab, 80));
    }

    [Fact]
    public void Pod_and_namespace_selector_in_one_peer_mean_those_pods_in_those_namespaces()
    {
        var lab = Upstream("""
            [{name: both, namespace: x, podSelector: {matchLabels: {pod: a}},
              ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: ns, operator: In, values: [y]}]}, podSelector: {matchLabels: {pod: b}}}]}]}]
            """);
        Assert.Equal(Expect((from, to) => to != "x/a" || from == "y/b"), Matrix(lab, 80));
    }

    [Fact]
    public void The_same_selectors_as_two_peers_mean_either_one_and_a_lone_pod_selector_is_the_policys_namespace()
    {
        var lab = Upstream("""
            [{name: either, namespace: x, podSelector: {matchLabels: {pod: a}},
              ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}, {podSelector: {matchLabels: {pod: b}}}]}]}]
            """);
        Assert.Equal(Expect((from, to) => to != "x/a" || from.StartsWith("y/", StringComparison.Ordinal) || from == "x/b"), Matrix(lab, 80));
    }

    [Fact]
    public void A_named_port_allows_the_port_of_that_name_only()
    {
        var lab = Upstream("[{name: named, namespace: x, podSelector: {}, ingress: [{ports: [{port: serve-80-tcp}]}]}]");
        Assert.Equal(Expect((_, _) => true), Matrix(lab, 80));
        Assert.Equal(Expect((_, to) => !to.StartsWith("x/", StringComparison.Ordinal)), Matrix(lab, 81));
        Assert.Equal(Expect((_, to) => !to.StartsWith("x/", StringComparison.Ordinal)), Matrix(lab, 80, TransportProtocol.UDP));
    }

    [Theory]
    [InlineData(80, true)]
    [InlineData(81, true)]
    [InlineData(82, false)]
    [InlineData(79, false)]
    public void An_end_port_opens_the_range_from_port_to_end_port(int port, bool open)
    {
        var lab = Upstream("[{name: range, namespace: x, podSelector: {}, ingress: [{ports: [{port: 80, endPort: 81, protocol: TCP}]}]}]");
        Assert.Equal(Expect((_, to) => open || !to.StartsWith("x/", StringComparison.Ordinal)), Matrix(lab, port));
    }

    [Fact]
    public void Egress_deny_with_dns_allowed_keeps_udp_53_and_nothing_else()
    {
        var lab = Upstream("[{name: dns-only, namespace: x, podSelector: {}, policyTypes: [Egress], egress: [{ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]}]}]");
        Assert.Equal(Expect((from, _) => !from.StartsWith("x/", StringComparison.Ordinal)), Matrix(lab, 80));
        Assert.Equal(Expect((_, _) => true), Matrix(lab, 53, TransportProtocol.UDP));
    }

    [Fact]
    public void An_ip_block_admits_its_range_but_not_its_exceptions()
    {
        // y's pods are 10.244.2.10-12; the block takes 10.244.2.0/24 except y/b (10.244.2.11).
        var lab = Upstream("[{name: block, namespace: x, podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.244.2.0/24, except: [10.244.2.11/32]}}]}]}]");
        Assert.Equal(Expect((from, to) => !to.StartsWith("x/", StringComparison.Ordinal) || (from.StartsWith("y/", StringComparison.Ordinal) && from != "y/b")), Matrix(lab, 80));
    }

    [Fact]
    public void Two_policies_selecting_a_pod_allow_the_union_of_their_rules()
    {
        var lab = Upstream("""
            - {name: from-b, namespace: x, podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]}
            - {name: from-c, namespace: x, podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {matchLabels: {pod: c}}}]}]}
            """);
        Assert.Equal(Expect((from, to) => to != "x/a" || from is "x/b" or "x/c"), Matrix(lab, 80));
    }

    [Fact]
    public void Egress_and_ingress_must_both_allow_and_a_deny_names_the_isolating_policy()
    {
        var lab = Upstream("""
            - {name: a-out, namespace: x, podSelector: {matchLabels: {pod: a}}, egress: [{to: [{podSelector: {matchLabels: {pod: b}}}]}]}
            - {name: b-in, namespace: x, podSelector: {matchLabels: {pod: b}}, ingress: [{from: [{podSelector: {matchLabels: {pod: c}}}]}]}
            """);
        var pods = Endpoints(lab).ToDictionary(p => p.Spec.Name);
        var verdict = new PolicyEvaluator(lab).Check(pods["x-a"], pods["x-b"], 80, TransportProtocol.TCP);
        Assert.False(verdict.Allowed);
        Assert.True(verdict.Egress.Allowed);
        Assert.Equal(("x/a-out", 0), (verdict.Egress.Policy, verdict.Egress.Rule));
        Assert.Contains("isolated for ingress by x/b-in", verdict.Explain(), StringComparison.Ordinal);
        Assert.True(new PolicyEvaluator(lab).Check(pods["x-c"], pods["x-b"], 80, TransportProtocol.TCP).Allowed);
        Assert.False(new PolicyEvaluator(lab).Check(pods["x-a"], pods["x-c"], 80, TransportProtocol.TCP).Allowed);
    }

    [Fact]
    public void Policy_types_default_to_ingress_plus_egress_when_egress_rules_exist()
    {
        var lab = Upstream("[{name: out-only-b, namespace: x, podSelector: {matchLabels: {pod: a}}, egress: [{to: [{podSelector: {matchLabels: {pod: b}}}]}]}]");
        // Ingress is isolated too (no ingress rules): nothing reaches x/a.
        Assert.Equal(Expect((from, to) => to != "x/a" && (from != "x/a" || to == "x/b")), Matrix(lab, 80));
    }

    [Fact]
    public void A_pods_own_node_always_reaches_it_and_other_nodes_need_an_ip_block()
    {
        var lab = Upstream("[{name: deny, namespace: x, podSelector: {}}]");
        var a = Endpoints(lab).First(p => p.Spec.Name == "x-a"); // on cp1
        var evaluator = new PolicyEvaluator(lab);
        Assert.True(evaluator.Check(new PolicyEndpoint.Node("cp1", IPAddress.Parse("192.168.64.11")), a, 80, TransportProtocol.TCP).Allowed);
        Assert.False(evaluator.Check(new PolicyEndpoint.Node("worker1", IPAddress.Parse("192.168.64.12")), a, 80, TransportProtocol.TCP).Allowed);
        Assert.False(evaluator.Check(new PolicyEndpoint.External(IPAddress.Parse("192.168.64.1")), a, 80, TransportProtocol.TCP).Allowed);
    }

    [Fact]
    public void Match_expressions_not_in_and_does_not_exist_select_pods_without_the_value_or_the_key()
    {
        var lab = Upstream("""
            [{name: not-b, namespace: x, podSelector: {matchExpressions: [{key: pod, operator: NotIn, values: [b]}]},
              ingress: [{from: [{podSelector: {matchExpressions: [{key: missing, operator: DoesNotExist}]}, namespaceSelector: {matchExpressions: [{key: ns, operator: Exists}]}}]}]}]
            """);
        Assert.Equal(Expect((_, _) => true), Matrix(lab, 80));
        var lab2 = Upstream("[{name: in-y, namespace: x, podSelector: {}, ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: ns, operator: NotIn, values: [y, z]}]}}]}]}]");
        Assert.Equal(Expect((from, to) => !to.StartsWith("x/", StringComparison.Ordinal) || from.StartsWith("x/", StringComparison.Ordinal)), Matrix(lab2, 80));
    }
}
