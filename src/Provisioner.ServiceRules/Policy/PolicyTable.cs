using System.Collections.Immutable;

namespace Provisioner.ServiceRules.Policy;

/// <summary>
/// NetworkPolicies resolved to addresses and port numbers, as the rules need them: every pod isolated in some
/// direction, with what may reach it (ingress) or what it may reach (egress). Selectors, namespaces and named ports
/// are already gone; a source (the stack, later the Kubernetes API) builds this table.
/// </summary>
public sealed record PolicyTable(ImmutableArray<PodPolicyRules> Pods)
{
    public static readonly PolicyTable Empty = new([]);
}

/// <summary>One isolated pod: <c>namespace/name</c>, its address and node; a null direction is not isolated.</summary>
public sealed record PodPolicyRules(string Pod, string Address, string Node, DirectionRules? Ingress, DirectionRules? Egress);

/// <summary>The policies isolating the pod in one direction and what they allow, in their order.</summary>
public sealed record DirectionRules(ImmutableArray<string> IsolatedBy, ImmutableArray<PolicyAllow> Allows);

/// <summary>
/// One rule of one policy (<see cref="Rule"/> reads "ns/policy ingress[0]"): the peer ranges (null = everyone; the
/// ranges of an ipBlock already have its exceptions cut out) and the ports (empty = every port of every protocol).
/// </summary>
public sealed record PolicyAllow(string Rule, ImmutableArray<string>? Peers, ImmutableArray<PolicyPortRange> Ports);

/// <summary><c>tcp</c>, <c>udp</c> or <c>sctp</c>, and a port range; <see cref="From"/> null = every port of the protocol.</summary>
public sealed record PolicyPortRange(string Protocol, int? From = null, int? To = null)
{
    public override string ToString() => From is null ? Protocol : To is { } to && to != From ? $"{Protocol}/{From}-{to}" : $"{Protocol}/{From}";
}

/// <summary>Where the rules run: the node, its pod subnet, and the cluster's pod range.</summary>
public sealed record PolicyNode(string Name, string PodSubnet, string PodCidr);
