using Provisioner.Core.Config;
using Provisioner.Core.Model;
using Provisioner.Core.Tests.Support;
using Provisioner.Core.Validation;

namespace Provisioner.Core.Tests.Policy;

public class PolicyValidationSpecs
{
    private static IReadOnlyList<ConfigProblem> ProblemsOf(string policies, string? namespaces = null)
    {
        var (lab, read) = LabConfigReader.Read(key => key switch
        {
            ConfigKeys.NetworkPolicies => policies,
            ConfigKeys.Namespaces => namespaces,
            _ => null,
        }, "lab");
        return LabValidator.Validate(Support.Labs.Valid() with { NetworkPolicies = lab.NetworkPolicies, Namespaces = lab.Namespaces }, read);
    }

    private static ConfigProblem Only(IReadOnlyList<ConfigProblem> problems) => Assert.Single(problems);

    private static void Has(IReadOnlyList<ConfigProblem> problems, string key, string message) =>
        Assert.True(problems.Any(p => p.Key == key && p.Message.Contains(message, StringComparison.Ordinal)),
            $"no problem at {key} saying '{message}'; got:\n{string.Join("\n", problems)}");

    [Fact]
    public void A_policy_in_v1s_shape_reads_every_field()
    {
        var (lab, problems) = LabConfigReader.Read(key => key == ConfigKeys.NetworkPolicies ? """
            - name: web
              namespace: shop
              podSelector: {matchLabels: {app: web}}
              policyTypes: [Ingress, Egress]
              ingress:
                - from:
                    - namespaceSelector: {matchLabels: {team: a}}
                      podSelector: {matchExpressions: [{key: tier, operator: In, values: [front]}]}
                    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
                  ports: [{port: http}, {port: 8000, endPort: 8100, protocol: TCP}]
              egress: [{}]
            """ : null, "lab");
        Assert.Empty(problems);
        var policy = Assert.Single(lab.NetworkPolicies);
        Assert.Equal("shop/web", policy.Id);
        Assert.Equal([PolicyType.Ingress, PolicyType.Egress], policy.EffectiveTypes.ToArray());
        var rule = Assert.Single(policy.Ingress);
        Assert.Equal("namespaces team=a pods tier in (front)", rule.Peers[0].ToString());
        Assert.Equal("ipBlock 10.0.0.0/8 except 10.1.0.0/16", rule.Peers[1].ToString());
        Assert.Equal(["http/TCP", "8000-8100/TCP"], rule.Ports.Select(p => p.ToString()));
        Assert.True(Assert.Single(policy.Egress).Peers.IsEmpty);
    }

    [Fact]
    public void A_namespace_has_its_name_label_which_cannot_be_overridden()
    {
        Only(ProblemsOf("[]", "[{name: team-a, labels: {kubernetes.io/metadata.name: other}}]"))
            .Names("namespaces[0].labels.kubernetes.io/metadata.name", "other");
        var ns = new NamespaceSpec { Name = "team-a", Labels = Support.Labs.Labels(("team", "a")) };
        Assert.Equal("team-a", ns.EffectiveLabels[NamespaceSpec.NameLabel]);
    }

    [Fact]
    public void An_ip_block_with_a_selector_in_the_same_peer_is_refused_with_the_fix()
    {
        Only(ProblemsOf("[{name: p, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]}]"))
            .Names("networkPolicies[0].ingress[0].from[0].ipBlock", "10.0.0.0/8").Says("cannot be combined").Fixes("a peer of its own");
    }

    [Fact]
    public void An_except_outside_its_cidr_and_a_cidr_with_host_bits_are_named()
    {
        var problems = ProblemsOf("[{name: p, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [192.168.0.0/16]}}, {ipBlock: {cidr: 10.0.0.1/8}}]}]}]");
        Has(problems, "networkPolicies[0].ingress[0].from[0].ipBlock.except[0]", "inside the block's cidr 10.0.0.0/8");
        Has(problems, "networkPolicies[0].ingress[0].from[1].ipBlock.cidr", "host bits");
    }

    [Fact]
    public void An_end_port_needs_a_numeric_port_below_it()
    {
        var problems = ProblemsOf("[{name: p, ingress: [{ports: [{port: http, endPort: 90}, {port: 9000, endPort: 80}]}]}]");
        Has(problems, "networkPolicies[0].ingress[0].ports[0].endPort", "numeric port");
        Assert.Contains(problems, p => p.Key == "networkPolicies[0].ingress[0].ports[1].endPort" && p.Value == "80");
    }

    [Theory]
    [InlineData("HTTP")]
    [InlineData("a-very-long-port-name")]
    [InlineData("123-456")]
    public void A_port_that_is_neither_a_number_nor_a_port_name_is_refused(string port)
    {
        Only(ProblemsOf($"[{{name: p, ingress: [{{ports: [{{port: {port}}}]}}]}}]")).Names("networkPolicies[0].ingress[0].ports[0].port", port).Says("port name");
    }

    [Fact]
    public void Selector_operators_and_their_values_must_agree()
    {
        var problems = ProblemsOf("[{name: p, podSelector: {matchExpressions: [{key: app, operator: In}, {key: app, operator: Exists, values: [x]}, {key: app, operator: Like}]}}]");
        Has(problems, "networkPolicies[0].podSelector.matchExpressions[0].values", "at least one value");
        Has(problems, "networkPolicies[0].podSelector.matchExpressions[1].values", "must be empty");
        Has(problems, "networkPolicies[0].podSelector.matchExpressions[2].operator", "In, NotIn, Exists, DoesNotExist");
    }

    [Fact]
    public void Policy_types_are_spelled_as_v1_spells_them_and_egress_rules_without_egress_are_named()
    {
        var problems = ProblemsOf("[{name: p, policyTypes: [ingress]}, {name: q, policyTypes: [Ingress], egress: [{}]}, {name: r, policyTypes: []}]");
        Assert.Contains(problems, p => p.Key == "networkPolicies[0].policyTypes[0]" && p.Value == "ingress");
        Has(problems, "networkPolicies[1].policyTypes", "egress rules would be ignored");
        Assert.Contains(problems, p => p.Key == "networkPolicies[2].policyTypes" && p.Fix.Contains("pulumi config rm", StringComparison.Ordinal));
    }

    [Fact]
    public void A_peer_with_nothing_in_it_a_duplicate_name_and_an_unknown_key_are_each_named()
    {
        var problems = ProblemsOf("[{name: p, ingress: [{from: [{}]}]}, {name: p, ingres: []}]");
        Has(problems, "networkPolicies[0].ingress[0].from[0]", "names no peer");
        Has(problems, "networkPolicies[1].name", "another policy in namespace default");
        Has(problems, "networkPolicies[1].ingres", "not a known key");
    }

    [Fact]
    public void A_pod_port_name_must_be_an_iana_service_name()
    {
        var lab = Support.Labs.Valid().WithPod(0, p => p with { PortName = "Serve_80" });
        Only(LabValidator.Validate(lab)).Names("pods[0].portName", "Serve_80");
    }
}
