using System.Collections.Immutable;
using System.Net;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;

namespace Provisioner.Core.Policy;

/// <summary>Which rule decided one direction: <see cref="Policy"/> and its rule index, or why none had to.</summary>
public sealed record DirectionVerdict(bool Allowed, bool Isolated, ImmutableArray<string> IsolatedBy, string? Policy, int? Rule, string Reason)
{
    public static DirectionVerdict Open(string reason) => new(true, false, [], null, null, reason);
}

/// <summary>The expected fate of a new connection: allowed only when egress at the source and ingress at the destination allow it.</summary>
public sealed record PolicyVerdict(bool Allowed, DirectionVerdict Egress, DirectionVerdict Ingress)
{
    /// <summary>The deciding side, read as a sentence: "denied by ingress of web-1: isolated by default/deny-all, no rule allows it".</summary>
    public string Explain() => (Egress.Allowed, Ingress.Allowed) switch
    {
        (false, _) => "egress: " + Egress.Reason,
        (_, false) => "ingress: " + Ingress.Reason,
        _ => $"egress: {Egress.Reason}; ingress: {Ingress.Reason}",
    };
}

/// <summary>
/// NetworkPolicy v1 semantics over the stack, with no kernel involved: the expected reachability the lab's rules must
/// produce. A pod is isolated in a direction only when a policy of that type selects it; then a connection passes
/// when any rule of any of those policies matches it (the union). Traffic between a pod and its own node, and a pod's
/// traffic to itself, is always allowed. Named ports resolve against the destination pod's ports. The policies and
/// namespaces come from a stack or, on the VM lab, from the Kubernetes API (netlab-proxy): one implementation of v1.
/// </summary>
public sealed class PolicyEvaluator(IReadOnlyList<NetworkPolicySpec> policies, IEnumerable<NamespaceSpec> namespaces)
{
    private readonly ImmutableDictionary<string, ImmutableSortedDictionary<string, string>> _namespaceLabels =
        namespaces.ToImmutableDictionary(n => n.Name, n => n.EffectiveLabels, StringComparer.Ordinal);

    public PolicyEvaluator(LabConfig lab) : this(lab.NetworkPolicies, lab.Namespaces)
    {
    }

    public IReadOnlyList<NetworkPolicySpec> Policies => policies;

    /// <summary>The labels a namespace has in the cluster: declared ones, plus (always) its name label.</summary>
    public ImmutableSortedDictionary<string, string> NamespaceLabels(string name) =>
        _namespaceLabels.TryGetValue(name, out var labels) ? labels : new NamespaceSpec { Name = name }.EffectiveLabels;

    /// <summary>The policies of the pod's namespace whose podSelector selects it and which isolate it in <paramref name="type"/>.</summary>
    public IEnumerable<NetworkPolicySpec> Selecting(PodSpec pod, PolicyType type) =>
        policies.Where(p => p.Namespace == pod.Namespace && p.Isolates(type) && p.PodSelector.Matches(pod.Labels));

    public PolicyVerdict Check(PolicyEndpoint source, PolicyEndpoint destination, int port, TransportProtocol protocol)
    {
        if (source is PolicyEndpoint.Pod s && destination is PolicyEndpoint.Pod d && s.Spec.Name == d.Spec.Name && s.Spec.Namespace == d.Spec.Namespace)
        {
            var self = DirectionVerdict.Open("a pod cannot block its traffic to itself");
            return new PolicyVerdict(true, self, self);
        }
        var egress = source is PolicyEndpoint.Pod from
            ? Direction(from, destination, PolicyType.Egress, port, protocol)
            : DirectionVerdict.Open("the source is not a pod");
        var ingress = destination is PolicyEndpoint.Pod to
            ? Direction(to, source, PolicyType.Ingress, port, protocol)
            : DirectionVerdict.Open("the destination is not a pod");
        return new PolicyVerdict(egress.Allowed && ingress.Allowed, egress, ingress);
    }

    /// <summary>One direction of <paramref name="pod"/>: its egress to <paramref name="peer"/>, or its ingress from it.</summary>
    private DirectionVerdict Direction(PolicyEndpoint.Pod pod, PolicyEndpoint peer, PolicyType type, int port, TransportProtocol protocol)
    {
        if (peer is PolicyEndpoint.Node node && node.Name == pod.Spec.Node)
            return DirectionVerdict.Open($"traffic between a pod and its own node ({node.Name}) is always allowed");
        var policies = Selecting(pod.Spec, type).ToList();
        if (policies.Count == 0)
            return DirectionVerdict.Open($"no {type} policy selects {pod}");
        var ids = policies.Select(p => p.Id).ToImmutableArray();
        // Named ports resolve on the pod the connection goes to: the destination itself for ingress, the peer for egress.
        var target = type == PolicyType.Ingress ? pod : peer as PolicyEndpoint.Pod;
        foreach (var policy in policies)
        {
            var rules = policy.Rules(type);
            for (var i = 0; i < rules.Length; i++)
            {
                if (AllowsPeer(policy, rules[i], peer) && AllowsPort(rules[i], target, port, protocol))
                    return new DirectionVerdict(true, true, ids, policy.Id, i, $"allowed by {policy.Id} {Lower(type)}[{i}]");
            }
        }
        return new DirectionVerdict(false, true, ids, null, null,
            $"{pod} is isolated for {Lower(type)} by {string.Join(", ", ids)}, and no rule of {(ids.Length == 1 ? "it" : "them")} allows {peer} on {port}/{protocol}");
    }

    private bool AllowsPeer(NetworkPolicySpec policy, PolicyRuleSpec rule, PolicyEndpoint peer) =>
        rule.Peers.IsEmpty || rule.Peers.Any(p => Matches(policy, p, peer));

    /// <summary>Whether a peer entry covers an endpoint: an ipBlock by address, selectors by the pod's labels and namespace.</summary>
    public bool Matches(NetworkPolicySpec policy, PolicyPeerSpec peer, PolicyEndpoint endpoint)
    {
        if (peer.IpBlock is { } block)
            return endpoint.Address is { } address && InBlock(block, address);
        if (endpoint is not PolicyEndpoint.Pod pod)
            return false; // selectors select pods only: a node or outside address needs an ipBlock
        var inNamespace = peer.NamespaceSelector is { } namespaces
            ? namespaces.Matches(NamespaceLabels(pod.Spec.Namespace))
            : pod.Spec.Namespace == policy.Namespace;
        return inNamespace && (peer.PodSelector?.Matches(pod.Spec.Labels) ?? true);
    }

    public static bool InBlock(IpBlockSpec block, IPAddress address) =>
        Cidr.TryParse(block.Cidr, out var cidr, out _) && cidr.Contains(address)
        && !block.Except.Any(e => Cidr.TryParse(e, out var except, out _) && except.Contains(address));

    private static bool AllowsPort(PolicyRuleSpec rule, PolicyEndpoint.Pod? target, int port, TransportProtocol protocol) =>
        rule.Ports.IsEmpty || rule.Ports.Any(p => p.Protocol == protocol && (p.Port is null
            || (p.Number is { } start ? port >= start && port <= (p.EndPort ?? start)
                : target is not null && target.Ports.Any(s => s.Name == p.Port && s.Number == port && s.Protocol == protocol))));

    private static string Lower(PolicyType type) => type == PolicyType.Ingress ? "ingress" : "egress";
}
