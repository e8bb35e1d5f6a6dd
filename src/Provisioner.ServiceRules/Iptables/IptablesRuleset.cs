namespace Provisioner.ServiceRules.Iptables;

/// <summary>
/// One of netlab's chains with its rules in iptables-save form ("-A CHAIN ..."). In an unordered chain (a dispatch
/// chain such as NETLAB-SERVICES) only the last rule's position matters, so a change can delete and insert single rules
/// instead of rewriting the chain.
/// </summary>
public sealed record IptablesChain(string Table, string Name, IReadOnlyList<string> Rules, bool Unordered = false, bool PinnedLast = false)
{
    public string Key => $"{Table}/{Name}";
}

/// <summary>What one service contributes to the iptables ruleset: its own chains (SVC, SVL, SEP, EXT) and its rules in
/// the shared dispatch chains, by "table/NAME" (<see cref="IptablesCompiler.DispatchChains"/>).</summary>
public sealed record IptablesFragment(IReadOnlyList<IptablesChain> Chains, IReadOnlyDictionary<string, IReadOnlyList<string>> Dispatch);

/// <summary>A jump from a built-in chain (PREROUTING, OUTPUT, ...) into netlab's chains: the only rules outside them.</summary>
public sealed record IptablesHookJump(string Table, string Rule);

/// <summary>The complete desired iptables state of netlab on one node: its chains and the hooks into them.</summary>
public sealed record IptablesRuleset(IReadOnlyList<IptablesChain> Chains, IReadOnlyList<IptablesHookJump> Jumps)
{
    public static IptablesRuleset Empty { get; } = new([], []);

    public static IReadOnlyList<string> Tables { get; } = ["nat", "filter"];

    /// <summary>The whole ruleset as one iptables-restore payload (for --noflush): declares and fills every chain.</summary>
    public string ToRestorePayload()
    {
        var text = new System.Text.StringBuilder();
        foreach (var table in Tables)
        {
            text.Append('*').Append(table).Append('\n');
            foreach (var chain in Chains.Where(c => c.Table == table))
                text.Append(':').Append(chain.Name).Append(" - [0:0]\n");
            foreach (var chain in Chains.Where(c => c.Table == table))
                foreach (var rule in chain.Rules)
                    text.Append(rule).Append('\n');
            foreach (var jump in Jumps.Where(j => j.Table == table))
                text.Append(jump.Rule).Append('\n');
            text.Append("COMMIT\n");
        }
        return text.ToString();
    }
}
