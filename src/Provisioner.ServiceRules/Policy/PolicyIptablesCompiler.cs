using System.Collections.Immutable;

namespace Provisioner.ServiceRules.Policy;

/// <summary>A node's policy rules for iptables: chains by name (rules in order) and the one jump from FORWARD.</summary>
public sealed record PolicyIptablesRules(ImmutableSortedDictionary<string, ImmutableArray<string>> Chains)
{
    public const string Jump = "-A FORWARD -j " + PolicyChainNames.Forward;

    public bool IsEmpty => Chains.IsEmpty;

    /// <summary>The chains and rules as iptables-save prints them (what the kernel must hold), without the jump.</summary>
    public IEnumerable<string> Lines => Chains.SelectMany(c => c.Value);
}

/// <summary>
/// Compiles a <see cref="PolicyTable"/> for one node into filter-table chains. <c>NETLAB-POL-FORWARD</c> (first in
/// FORWARD) lets replies of allowed connections through (conntrack), sends a connection from an egress-isolated pod
/// of this node into that pod's <c>NETLAB-POL-E-</c> chain and one towards an ingress-isolated pod into its
/// <c>NETLAB-POL-I-</c> chain (see <see cref="PolicyPlacement"/> for where which check runs). A pod chain RETURNs
/// once a rule allows and ends in REJECT (ICMP admin-prohibited: refused at once, and told apart from a missing
/// listener). Nothing here ACCEPTs, so the rest of FORWARD (the service rules') still runs.
/// <para>
/// An allow that is one rule (one peer range, at most one port range) stays in the pod chain. A bigger one (peers ×
/// ports) is a <c>NETLAB-POL-A-</c> chain of its own, one per distinct (direction, peers, ports), shared by every
/// pod chain that jumps to it: it marks what it allows with <see cref="AllowMark"/>, and the pod chain RETURNs on
/// the mark after its jumps (a RETURN in the shared chain would only return to the pod chain). This is Calico's
/// way with iptables; without it 100 pods × 50 policies of 10 peers × 2 ports were 100,000 rules.
/// </para>
/// </summary>
public static class PolicyIptablesCompiler
{
    public const string Reject = "-j REJECT --reject-with icmp-admin-prohibited";

    /// <summary>The mark bit a shared allow chain sets (kube-proxy uses 0x4000 and 0x8000); cleared on the way in and out.</summary>
    public const string AllowMark = "0x20000";

    public static PolicyIptablesRules Compile(PolicyTable table, PolicyNode node)
    {
        var chains = ImmutableSortedDictionary.CreateBuilder<string, ImmutableArray<string>>(StringComparer.Ordinal);
        var forward = new List<string> { Rule(PolicyChainNames.Forward, "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN") };
        foreach (var pod in PolicyPlacement.EgressHere(table, node))
        {
            var chain = PolicyChainNames.Iptables(pod.Pod, ingress: false);
            forward.Add(Rule(PolicyChainNames.Forward, $"-s {Host(pod.Address)} {Comment($"egress of {pod.Pod}")} -j {chain}"));
            chains[chain] = PodChain(chains, chain, pod, pod.Egress!, "-d");
        }
        foreach (var pod in PolicyPlacement.Ingress(table))
        {
            var chain = PolicyChainNames.Iptables(pod.Pod, ingress: true);
            forward.Add(Rule(PolicyChainNames.Forward, $"-s {node.PodSubnet} -d {Host(pod.Address)} {Comment($"ingress of {pod.Pod} from pods of this node")} -j {chain}"));
            forward.Add(Rule(PolicyChainNames.Forward, $"! -s {node.PodCidr} -d {Host(pod.Address)} {Comment($"ingress of {pod.Pod} from outside the pod range")} -j {chain}"));
            chains[chain] = PodChain(chains, chain, pod, pod.Ingress!, "-s");
        }
        if (chains.Count == 0)
            return new PolicyIptablesRules(ImmutableSortedDictionary<string, ImmutableArray<string>>.Empty);
        if (chains.Keys.Any(c => c.StartsWith(PolicyChainNames.AllowPrefix, StringComparison.Ordinal)))
            forward.Add(Rule(PolicyChainNames.Forward, ClearMark));
        chains[PolicyChainNames.Forward] = [.. forward];
        return new PolicyIptablesRules(chains.ToImmutable());
    }

    /// <summary>The restore payload that makes the kernel hold exactly <paramref name="rules"/>, given what it holds now.</summary>
    public static string RestorePayload(PolicyIptablesRules rules, IReadOnlyCollection<string> kernelChains, int kernelJumps)
    {
        var lines = new List<string> { "*filter" };
        lines.AddRange(rules.Chains.Keys.Concat(kernelChains).Distinct(StringComparer.Ordinal).Select(c => $":{c} - [0:0]"));
        lines.AddRange(rules.Lines);
        if (rules.IsEmpty)
            lines.AddRange(Enumerable.Repeat("-D FORWARD -j " + PolicyChainNames.Forward, kernelJumps));
        else if (kernelJumps == 0)
            lines.Add("-I FORWARD 1 -j " + PolicyChainNames.Forward);
        else
            lines.AddRange(Enumerable.Repeat("-D FORWARD -j " + PolicyChainNames.Forward, kernelJumps - 1));
        lines.AddRange(kernelChains.Where(c => !rules.Chains.ContainsKey(c)).Select(c => $"-X {c}"));
        lines.Add("COMMIT");
        return string.Join('\n', lines) + "\n";
    }

    private static ImmutableArray<string> PodChain(ImmutableSortedDictionary<string, ImmutableArray<string>>.Builder chains, string chain,
        PodPolicyRules pod, DirectionRules direction, string peerFlag)
    {
        var rules = new List<string> { Rule(chain, $"{peerFlag} {Host(pod.Address)} {Comment("a pod may always reach itself")} -j RETURN") };
        var shared = false;
        foreach (var allow in direction.Allows)
        {
            var matches = Matches(allow, peerFlag);
            if (matches.Count == 1)
            {
                rules.Add(Rule(chain, $"{matches[0]}{Comment(allow.Rule)} -j RETURN"));
                continue;
            }
            if (matches.Count == 0)
                continue; // an ipBlock whose exceptions cover all of it: allows nothing
            if (!shared)
                rules.Add(Rule(chain, ClearMark));
            shared = true;
            var allowChain = PolicyChainNames.IptablesAllow(peerFlag + " " + string.Join(' ', matches));
            chains[allowChain] = [.. matches.Select(m => Rule(allowChain, $"{m}-j MARK --set-xmark {AllowMark}/{AllowMark}"))];
            rules.Add(Rule(chain, $"{Comment(allow.Rule)} -j {allowChain}"));
        }
        if (shared)
            rules.Add(Rule(chain, $"-m mark --mark {AllowMark}/{AllowMark} {Comment("allowed by a shared allow chain")} -j RETURN"));
        rules.Add(Rule(chain, $"{Comment(PolicyComments.IsolatedBy(direction.IsolatedBy))} {Reject}"));
        return [.. rules];
    }

    /// <summary>The matches of one allow, one per peer × port ("" matches everything).</summary>
    private static List<string> Matches(PolicyAllow allow, string peerFlag) =>
        [.. from peer in allow.Peers?.Select(p => $"{peerFlag} {p} ") ?? [""]
            from port in allow.Ports.IsEmpty ? [""] : allow.Ports.Select(Port)
            select peer + port];

    private const string ClearMark = "-j MARK --set-xmark 0x0/" + AllowMark;

    private static string Port(PolicyPortRange port) => port.From is not { } from
        ? $"-p {port.Protocol} "
        : $"-p {port.Protocol} -m {port.Protocol} --dport {from}{(port.To is { } to && to != from ? $":{to}" : "")} ";

    private static string Rule(string chain, string body) => $"-A {chain} {body}";

    private static string Host(string address) => address + "/32";

    private static string Comment(string text) => $"-m comment --comment \"{PolicyComments.Bounded(text)}\"";
}
