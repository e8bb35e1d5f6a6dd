using System.Collections.Immutable;
using Provisioner.Core.Model;

namespace Provisioner.Core.Config;

/// <summary>Reads <c>netlab:namespaces</c> and <c>netlab:networkPolicies</c> in the NetworkPolicy v1 object's shape.</summary>
internal static class NetworkPolicyReader
{
    public static NamespaceSpec ReadNamespace(YamlReader r)
    {
        var ns = new NamespaceSpec
        {
            Name = r.RequiredString("name", "team-a"),
            Labels = r.StringMap("labels").ToImmutableSortedDictionary(StringComparer.Ordinal),
        };
        r.RejectUnknownKeys();
        return ns;
    }

    public static NetworkPolicySpec ReadPolicy(YamlReader r)
    {
        ImmutableArray<PolicyType>? types = r.Node("policyTypes") is null ? null : ReadTypes(r);
        var policy = new NetworkPolicySpec
        {
            Name = r.RequiredString("name", "deny-all"),
            Namespace = r.String("namespace") ?? "default",
            PodSelector = Selector(r.Mapping("podSelector")) ?? LabelSelector.Everything,
            PolicyTypes = types,
            Ingress = [.. r.Sequence("ingress").Select(rule => ReadRule(rule, "from"))],
            Egress = [.. r.Sequence("egress").Select(rule => ReadRule(rule, "to"))],
        };
        r.RejectUnknownKeys();
        return policy;
    }

    private static ImmutableArray<PolicyType> ReadTypes(YamlReader r)
    {
        var types = new List<PolicyType>();
        var texts = r.Strings("policyTypes");
        for (var i = 0; i < texts.Count; i++)
        {
            if (Enum.TryParse<PolicyType>(texts[i], ignoreCase: false, out var type) && Enum.IsDefined(type))
                types.Add(type);
            else
                r.Problem($"policyTypes[{i}]", texts[i], "is not a policy type (Ingress or Egress, spelled so)", ConfigKeys.SetCommand(r.Child($"policyTypes[{i}]"), "Ingress"));
        }
        return [.. types.Distinct()];  // an empty list is left to the validator, which says how v1 reads it
    }

    private static PolicyRuleSpec ReadRule(YamlReader r, string peersKey)
    {
        var rule = new PolicyRuleSpec
        {
            Peers = [.. r.Sequence(peersKey).Select(ReadPeer)],
            Ports = [.. r.Sequence("ports").Select(ReadPort)],
        };
        r.RejectUnknownKeys();
        return rule;
    }

    private static PolicyPeerSpec ReadPeer(YamlReader r)
    {
        var block = r.Mapping("ipBlock");
        var peer = new PolicyPeerSpec
        {
            PodSelector = Selector(r.Mapping("podSelector")),
            NamespaceSelector = Selector(r.Mapping("namespaceSelector")),
            IpBlock = block is null ? null : new IpBlockSpec(block.RequiredString("cidr", "10.0.0.0/8"), [.. block.Strings("except")]),
        };
        block?.RejectUnknownKeys();
        r.RejectUnknownKeys();
        return peer;
    }

    private static PolicyPortSpec ReadPort(YamlReader r)
    {
        var endPort = r.Node("endPort") is null ? (int?)null : r.Int("endPort", 0, "8090");
        var port = new PolicyPortSpec
        {
            Protocol = r.Enum("protocol", TransportProtocol.TCP),
            Port = r.String("port"),
            EndPort = endPort,
        };
        r.RejectUnknownKeys();
        return port;
    }

    /// <summary>A selector mapping; <c>podSelector: {}</c> is an empty (select-all) selector, not an absent one.</summary>
    private static LabelSelector? Selector(YamlReader? r)
    {
        if (r is null)
            return null;
        var selector = new LabelSelector
        {
            MatchLabels = r.StringMap("matchLabels").ToImmutableSortedDictionary(StringComparer.Ordinal),
            MatchExpressions = [.. r.Sequence("matchExpressions").Select(ReadExpression)],
        };
        r.RejectUnknownKeys();
        return selector;
    }

    private static SelectorRequirement ReadExpression(YamlReader r)
    {
        var requirement = new SelectorRequirement(r.RequiredString("key", "app"), r.Enum("operator", SelectorOperator.In), [.. r.Strings("values")]);
        r.RejectUnknownKeys();
        return requirement;
    }
}
