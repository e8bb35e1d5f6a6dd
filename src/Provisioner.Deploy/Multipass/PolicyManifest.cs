using k8s.Models;
using Provisioner.Core.Model;

namespace Provisioner.Deploy.Multipass;

/// <summary>
/// The stack's <c>netlab:networkPolicies</c> as <c>networking.k8s.io/v1</c> NetworkPolicy objects for the VM lab's
/// workloads manifest, field for field (the inverse of netlab-proxy's conversion, which reads them back from the API).
/// <c>policyTypes</c> is written only when the stack wrote it, so the apiserver defaults it as v1 says.
/// </summary>
public static class PolicyManifest
{
    public static V1NetworkPolicy ToApi(NetworkPolicySpec policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new V1NetworkPolicy
        {
            ApiVersion = "networking.k8s.io/v1", Kind = "NetworkPolicy",
            Metadata = new V1ObjectMeta { Name = policy.Name, NamespaceProperty = policy.Namespace },
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = Selector(policy.PodSelector),
                PolicyTypes = policy.PolicyTypes is { } types ? [.. types.Select(t => t.ToString())] : null,
                Ingress = policy.Ingress.IsEmpty ? null : [.. policy.Ingress.Select(r => new V1NetworkPolicyIngressRule { FromProperty = Peers(r), Ports = Ports(r) })],
                Egress = policy.Egress.IsEmpty ? null : [.. policy.Egress.Select(r => new V1NetworkPolicyEgressRule { To = Peers(r), Ports = Ports(r) })],
            },
        };
    }

    /// <summary>E.g. <c>networkpolicy x/web-from-client: pods app=web, Ingress, 1 ingress rule(s), 0 egress rule(s)</c>.</summary>
    public static string Line(NetworkPolicySpec policy) =>
        $"networkpolicy {policy.Id}: pods {policy.PodSelector}, {string.Join("+", policy.EffectiveTypes)}, " +
        $"{policy.Ingress.Length} ingress rule(s), {policy.Egress.Length} egress rule(s)";

    private static List<V1NetworkPolicyPeer>? Peers(PolicyRuleSpec rule) => rule.Peers.IsEmpty ? null : [.. rule.Peers.Select(p => new V1NetworkPolicyPeer
    {
        PodSelector = p.PodSelector is { } pods ? Selector(pods) : null,
        NamespaceSelector = p.NamespaceSelector is { } namespaces ? Selector(namespaces) : null,
        IpBlock = p.IpBlock is { } block ? new V1IPBlock { Cidr = block.Cidr, Except = block.Except.IsEmpty ? null : [.. block.Except] } : null,
    })];

    private static List<V1NetworkPolicyPort>? Ports(PolicyRuleSpec rule) => rule.Ports.IsEmpty ? null : [.. rule.Ports.Select(p => new V1NetworkPolicyPort
    {
        Protocol = p.Protocol.ToString(),
        Port = p.Port is null ? null : p.Number is { } n ? n : p.Port,
        EndPort = p.EndPort,
    })];

    private static V1LabelSelector Selector(LabelSelector selector) => new()
    {
        MatchLabels = selector.MatchLabels.IsEmpty ? null : selector.MatchLabels.ToDictionary(StringComparer.Ordinal),
        MatchExpressions = selector.MatchExpressions.IsEmpty ? null : [.. selector.MatchExpressions.Select(e => new V1LabelSelectorRequirement
        {
            Key = e.Key, OperatorProperty = e.Operator.ToString(), Values = e.Values.IsEmpty ? null : [.. e.Values],
        })],
    };
}
