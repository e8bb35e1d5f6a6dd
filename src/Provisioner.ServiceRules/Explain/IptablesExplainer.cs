using System.Globalization;
using System.Text;
using Provisioner.ServiceRules.Iptables;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Naming;

namespace Provisioner.ServiceRules.Explain;

/// <summary>Walks the compiled iptables chains of one service port, printing each chain's rules as iptables-save does.</summary>
internal static class IptablesExplainer
{
    public static void Explain(StringBuilder text, ResolvedServicePort port, IptablesRuleset ruleset)
    {
        var chains = ruleset.Chains.ToDictionary(c => c.Key, c => c.Rules, StringComparer.Ordinal);
        var mine = $"\"{port.PortName} ";
        text.Append("\niptables (iptables-save -t nat / -t filter):\n");
        text.Append(CultureInfo.InvariantCulture, $"To the cluster IP {port.ClusterIP}:{port.Port.Port}/{port.Protocol}: a pod's packet enters nat PREROUTING, this node's own enters nat OUTPUT:\n");
        foreach (var jump in ruleset.Jumps.Where(j => j.Table == "nat" && !j.Rule.StartsWith("-A POSTROUTING", StringComparison.Ordinal)))
            text.Append("    ").Append(jump.Rule).Append('\n');
        var shown = new HashSet<string>(StringComparer.Ordinal);
        Walk(text, chains, "nat", ChainNames.Services, r => r.Contains(mine + "cluster IP\"", StringComparison.Ordinal), port, shown);
        Rejects(text, chains, "filter/" + ChainNames.Services, mine);

        if (port.HasExternal)
        {
            text.Append("\nTo an external address (" + string.Join(", ", [.. port.ExternalAddresses, .. port.Port.NodePort is { } n ? [$"node port {n} on any local address"] : Array.Empty<string>()]) + "):\n");
            Walk(text, chains, "nat", ChainNames.Services, r => r.Contains(mine + "external IP\"", StringComparison.Ordinal)
                || r.Contains(mine + "loadbalancer IP\"", StringComparison.Ordinal) || r.Contains(IptablesCompiler.NodePortsJumpComment, StringComparison.Ordinal), port, [ChainNames.Services, .. shown]);
            Rejects(text, chains, "filter/" + ChainNames.ExternalServices, mine);
        }
        text.Append("\nOn the way out, nat POSTROUTING masquerades what was marked 0x4000 (off-cluster clients, external traffic with Cluster policy, hairpin):\n");
        foreach (var rule in chains.GetValueOrDefault("nat/" + ChainNames.Postrouting) ?? [])
            text.Append("    ").Append(rule).Append('\n');
    }

    private static void Walk(StringBuilder text, Dictionary<string, IReadOnlyList<string>> chains, string table, string chain,
        Func<string, bool> relevant, ResolvedServicePort port, HashSet<string> visited, int depth = 0)
    {
        var indent = new string(' ', 2 + depth * 2);
        if (!chains.TryGetValue($"{table}/{chain}", out var rules))
            return;
        if (!visited.Add(chain) && depth > 0)
        {
            text.Append(indent).Append("-> ").Append(chain).Append("  (rules as above)\n");
            return;
        }
        var shown = rules.Where(relevant).ToList();
        text.Append(indent).Append("-> ").Append(chain).Append(Describe(chain, port)).Append('\n');
        var cascade = shown.Count(r => ChainGraphValidator.TargetOf(r)?.StartsWith("NETLAB-SEP-", StringComparison.Ordinal) == true && !r.Contains("--rcheck", StringComparison.Ordinal));
        foreach (var rule in shown)
        {
            var target = ChainGraphValidator.TargetOf(rule) ?? "";
            var note = target.StartsWith("NETLAB-SEP-", StringComparison.Ordinal)
                ? rule.Contains("--rcheck", StringComparison.Ordinal) ? "   [a client seen recently goes back to its endpoint]" : $"   [endpoint share {ServiceExplainer.Share(cascade)}]"
                : "";
            text.Append(indent).Append("    ").Append(rule).Append(note).Append('\n');
        }
        foreach (var target in shown.Select(ChainGraphValidator.TargetOf).OfType<string>().Distinct())
        {
            if (target is ChainNames.NodePorts)
                Walk(text, chains, table, target, r => r.Contains($"\"{port.PortName}\"", StringComparison.Ordinal), port, visited, depth + 1);
            else if (target.StartsWith("NETLAB-SVC-", StringComparison.Ordinal) || target.StartsWith("NETLAB-SVL-", StringComparison.Ordinal)
                     || target.StartsWith("NETLAB-EXT-", StringComparison.Ordinal) || target.StartsWith("NETLAB-SEP-", StringComparison.Ordinal))
                Walk(text, chains, table, target, _ => true, port, visited, depth + 1);
        }
    }

    private static string Describe(string chain, ResolvedServicePort port) =>
        port.ReachableEndpoints.FirstOrDefault(e => e.Chain == chain) is { } endpoint ? $"  (endpoint {endpoint.HostPort} on {endpoint.NodeName ?? "?"})"
        : chain.StartsWith("NETLAB-SVL-", StringComparison.Ordinal) ? "  (local endpoints only)"
        : chain.StartsWith("NETLAB-EXT-", StringComparison.Ordinal) ? "  (external traffic)"
        : "";

    private static void Rejects(StringBuilder text, Dictionary<string, IReadOnlyList<string>> chains, string key, string mine)
    {
        foreach (var rule in (chains.GetValueOrDefault(key) ?? []).Where(r => r.Contains(mine.TrimEnd(' '), StringComparison.Ordinal)))
            text.Append("  filter: ").Append(rule).Append("   [no DNAT happens; the connection is refused/dropped here]\n");
    }
}
