namespace Provisioner.ServiceRules.Iptables;

/// <summary>
/// Checks the chain graph of a ruleset before it reaches the kernel: every jump lands on a standard target or on a
/// chain of the same table, names fit iptables' limit, no chain is declared twice. Needed because
/// <c>iptables-nft-restore --test</c> accepts a jump to an undefined chain that the real apply then rejects.
/// </summary>
public static class ChainGraphValidator
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
        var declared = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal); // table → its chains
        foreach (var chain in ruleset.Chains)
        {
            if (!DeclaredIn(declared, chain.Table).Add(chain.Name))
                problems.Add($"chain {chain.Key} is declared twice");
            if (chain.Name.Length > MaxChainNameLength)
                problems.Add($"chain name {chain.Name} is longer than {MaxChainNameLength} characters");
        }
        foreach (var chain in ruleset.Chains)
        {
            foreach (var rule in chain.Rules)
                CheckRule(chain.Table, chain.Name, rule, declared[chain.Table], problems);
        }
        foreach (var jump in ruleset.Jumps)
            CheckRule(jump.Table, ChainOf(jump.Rule), jump.Rule, DeclaredIn(declared, jump.Table), problems);
        return problems;
    }

    private static HashSet<string> DeclaredIn(Dictionary<string, HashSet<string>> declared, string table)
    {
        if (!declared.TryGetValue(table, out var chains))
            declared[table] = chains = new HashSet<string>(StringComparer.Ordinal);
        return chains;
    }

    private static void CheckRule(string table, string chain, string rule, HashSet<string> declared, List<string> problems)
    {
        if (!ChainSpan(rule).SequenceEqual(chain))
            problems.Add($"rule '{rule}' is listed under chain {table}/{chain}");
        if (!declared.Contains(chain) && !BuiltinChains.Contains(chain))
            problems.Add($"rule '{rule}' appends to {table}/{chain}, which is not declared");
        var target = TargetOf(rule);
        if (target is null)
            problems.Add($"rule '{rule}' has no -j target");
        else if (!StandardTargets.Contains(target) && !declared.Contains(target))
            problems.Add($"rule '{rule}' jumps to {table}/{target}, which is not declared");
    }

    /// <summary>The chain of "-A|-I|-D CHAIN ..." ("" for any other line).</summary>
    internal static string ChainOf(string rule) => ChainSpan(rule).ToString();

    /// <summary>The first "-j TARGET" or "-g TARGET" of a rule (null: none). Read with spans, not a regular expression:
    /// a 10k-service ruleset has 150k rules, and a full sync checks each (the regular expressions cost ~0.3 s).</summary>
    internal static string? TargetOf(string rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var text = rule.AsSpan();
        for (var at = text.IndexOf(" -"); at >= 0 && at + 4 < text.Length; at = NextOption(text, at))
        {
            if (text[at + 2] is 'j' or 'g' && text[at + 3] == ' ' && !char.IsWhiteSpace(text[at + 4]))
                return Word(text[(at + 4)..]).ToString();
        }
        return null;
    }

    private static int NextOption(ReadOnlySpan<char> text, int at)
    {
        var next = text[(at + 1)..].IndexOf(" -");
        return next < 0 ? -1 : at + 1 + next;
    }

    private static ReadOnlySpan<char> ChainSpan(string rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return rule.Length > 3 && rule[0] == '-' && rule[1] is 'A' or 'I' or 'D' && rule[2] == ' ' && !char.IsWhiteSpace(rule[3])
            ? Word(rule.AsSpan(3))
            : [];
    }

    /// <summary>The leading run of non-whitespace characters.</summary>
    private static ReadOnlySpan<char> Word(ReadOnlySpan<char> text)
    {
        var end = 0;
        while (end < text.Length && !char.IsWhiteSpace(text[end]))
            end++;
        return text[..end];
    }
}
