using System.Text.RegularExpressions;

namespace Provisioner.ServiceRules.Iptables;

/// <summary>
/// Checks the chain graph of a ruleset before it reaches the kernel: every jump lands on a standard target or on a
/// chain of the same table, names fit iptables' limit, no chain is declared twice. Needed because
/// <c>iptables-nft-restore --test</c> accepts a jump to an undefined chain that the real apply then rejects.
/// </summary>
public static partial class ChainGraphValidator
{
    public const int MaxChainNameLength = 28;

    private static readonly HashSet<string> StandardTargets = new(StringComparer.Ordinal)
    {
        "ACCEPT", "DROP", "RETURN", "REJECT", "DNAT", "SNAT", "MASQUERADE", "MARK", "LOG", "CONNMARK", "REDIRECT",
    };

    private static readonly HashSet<string> BuiltinChains = new(StringComparer.Ordinal)
    {
        "PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING",
    };

    /// <summary>Every problem found; empty when the graph is sound.</summary>
    public static IReadOnlyList<string> Check(IptablesRuleset ruleset)
    {
        ArgumentNullException.ThrowIfNull(ruleset);
        var problems = new List<string>();
        var declared = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chain in ruleset.Chains)
        {
            if (!declared.Add(chain.Key))
                problems.Add($"chain {chain.Key} is declared twice");
            if (chain.Name.Length > MaxChainNameLength)
                problems.Add($"chain name {chain.Name} is longer than {MaxChainNameLength} characters");
        }
        var rules = ruleset.Chains.SelectMany(c => c.Rules.Select(r => (c.Table, Chain: c.Name, Rule: r)))
            .Concat(ruleset.Jumps.Select(j => (j.Table, Chain: ChainOf(j.Rule), j.Rule)));
        foreach (var (table, chain, rule) in rules)
        {
            if (ChainOf(rule) != chain)
                problems.Add($"rule '{rule}' is listed under chain {table}/{chain}");
            if (!declared.Contains($"{table}/{chain}") && !BuiltinChains.Contains(chain))
                problems.Add($"rule '{rule}' appends to {table}/{chain}, which is not declared");
            var target = TargetOf(rule);
            if (target is null)
                problems.Add($"rule '{rule}' has no -j target");
            else if (!StandardTargets.Contains(target) && !declared.Contains($"{table}/{target}"))
                problems.Add($"rule '{rule}' jumps to {table}/{target}, which is not declared");
        }
        return problems;
    }

    internal static string ChainOf(string rule) => Rule().Match(rule) is { Success: true } m ? m.Groups["chain"].Value : "";

    internal static string? TargetOf(string rule) => Target().Match(rule) is { Success: true } m ? m.Groups["target"].Value : null;

    [GeneratedRegex(@"^-[AID] (?<chain>\S+)")]
    private static partial Regex Rule();

    [GeneratedRegex(@" -[jg] (?<target>\S+)")]
    private static partial Regex Target();
}
