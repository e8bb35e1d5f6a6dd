using System.Collections.Immutable;
using System.Net;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Core.Policy;
using Provisioner.ServiceRules.Policy;

namespace Provisioner.StackRules;

/// <summary>
/// The policy table of a stack: selectors resolved to the addresses of the pods they select (a pod without an address
/// yet matches nothing), ipBlocks to ranges with their exceptions cut out, named ports to each pod's port number (for
/// ingress the isolated pod's own, for egress each destination pod's). Selection follows <see cref="PolicyEvaluator"/>.
/// netlab-proxy builds the VM lab's table with the same code from the Kubernetes API's policies, namespaces and pods.
/// </summary>
public static class StackPolicyTable
{
    public static PolicyTable Build(LabConfig lab, Func<string, IPAddress?> podAddress) =>
        Build(new PolicyEvaluator(lab), [.. lab.Pods.Select(p => (Spec: p, Address: podAddress(p.Name)))
            .Where(p => p.Address is not null).Select(p => new PolicyEndpoint.Pod(p.Spec, p.Address))]);

    /// <summary>The table of <paramref name="pods"/> (each with its address and the ports it serves) under the evaluator's policies.</summary>
    public static PolicyTable Build(PolicyEvaluator evaluator, IReadOnlyList<PolicyEndpoint.Pod> pods)
    {
        var rules = new List<PodPolicyRules>();
        foreach (var pod in pods)
        {
            var ingress = Direction(evaluator, pod, PolicyType.Ingress, pods);
            var egress = Direction(evaluator, pod, PolicyType.Egress, pods);
            if (ingress is not null || egress is not null)
                rules.Add(new PodPolicyRules(Id(pod.Spec), pod.Address!.ToString(), pod.Spec.Node, ingress, egress));
        }
        return new PolicyTable([.. rules]);
    }

    public static PolicyNode Node(LabPlan plan, string node) =>
        new(node, plan.Addresses.Node(node).PodSubnet.ToString(), plan.Addresses.PodCidr.ToString());

    public static string Id(PodSpec pod) => $"{pod.Namespace}/{pod.Name}";

    private static DirectionRules? Direction(PolicyEvaluator evaluator, PolicyEndpoint.Pod pod, PolicyType type, IReadOnlyList<PolicyEndpoint.Pod> pods)
    {
        var policies = evaluator.Selecting(pod.Spec, type).ToList();
        if (policies.Count == 0)
            return null;
        var allows = new List<PolicyAllow>();
        foreach (var policy in policies)
        {
            var specs = policy.Rules(type);
            for (var i = 0; i < specs.Length; i++)
                allows.AddRange(Allows(evaluator, policy, specs[i], $"{policy.Id} {(type == PolicyType.Ingress ? "ingress" : "egress")}[{i}]", type == PolicyType.Ingress ? pod : null, pods));
        }
        return new DirectionRules([.. policies.Select(p => p.Id)], [.. allows]);
    }

    /// <summary>
    /// One rule as allow entries. Numbered ports (and "all ports") go with the rule's peers as written; a named port
    /// resolves on the destination: the isolated pod for ingress (<paramref name="self"/>), else each peer pod, one
    /// entry per pod whose port of that name exists.
    /// </summary>
    private static IEnumerable<PolicyAllow> Allows(PolicyEvaluator evaluator, NetworkPolicySpec policy, PolicyRuleSpec rule, string label,
        PolicyEndpoint.Pod? self, IReadOnlyList<PolicyEndpoint.Pod> pods)
    {
        ImmutableArray<string>? peers = rule.Peers.IsEmpty ? null : [.. rule.Peers.SelectMany(p => Ranges(evaluator, policy, p, pods)).Distinct()];
        if (rule.Ports.IsEmpty)
        {
            yield return new PolicyAllow(label, peers, []);
            yield break;
        }
        var numbered = rule.Ports.Where(p => p.Port is null || p.Number is not null)
            .Select(p => new PolicyPortRange(Protocol(p.Protocol), p.Number, p.Number is null ? null : p.EndPort ?? p.Number)).ToImmutableArray();
        var named = rule.Ports.Where(p => p.Port is not null && p.Number is null).ToList();
        if (self is not null)
            numbered = numbered.AddRange(named.SelectMany(p => Resolve(self, p)));
        if (!numbered.IsEmpty)
            yield return new PolicyAllow(label, peers, numbered);
        if (self is not null || named.Count == 0)
            yield break;
        foreach (var pod in pods.Where(p => rule.Peers.IsEmpty || rule.Peers.Any(peer => evaluator.Matches(policy, peer, p))))
        {
            var ports = named.SelectMany(p => Resolve(pod, p)).ToImmutableArray();
            if (!ports.IsEmpty)
                yield return new PolicyAllow(label, [pod.Address + "/32"], ports);
        }
    }

    private static IEnumerable<PolicyPortRange> Resolve(PolicyEndpoint.Pod pod, PolicyPortSpec port) =>
        pod.Ports.Where(s => s.Name == port.Port && s.Protocol == port.Protocol).Select(s => new PolicyPortRange(Protocol(s.Protocol), s.Number, s.Number));

    private static IEnumerable<string> Ranges(PolicyEvaluator evaluator, NetworkPolicySpec policy, PolicyPeerSpec peer, IReadOnlyList<PolicyEndpoint.Pod> pods) =>
        peer.IpBlock is { } block
            ? CidrRanges.Subtract(Cidr.Parse(block.Cidr), block.Except.Select(Cidr.Parse)).Select(n => n.ToString())
            : pods.Where(p => evaluator.Matches(policy, peer, p)).Select(p => p.Address + "/32");

    private static string Protocol(TransportProtocol protocol) => protocol.ToString().ToLowerInvariant();
}

/// <summary>A range less its exceptions, as the fewest CIDRs (what an ipBlock's except leaves).</summary>
public static class CidrRanges
{
    public static IEnumerable<IPNetwork2> Subtract(IPNetwork2 block, IEnumerable<IPNetwork2> except)
    {
        var cuts = except.ToList();
        if (cuts.Any(c => c.Contains(block)))
            yield break;
        if (!cuts.Any(block.Overlap))
        {
            yield return block;
            yield break;
        }
        foreach (var half in block.Subnet((byte)(block.Cidr + 1)))
        {
            foreach (var part in Subtract(half, cuts))
                yield return part;
        }
    }
}
