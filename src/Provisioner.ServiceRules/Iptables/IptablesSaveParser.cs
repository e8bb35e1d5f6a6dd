namespace Provisioner.ServiceRules.Iptables;

/// <summary>What the kernel holds of netlab's iptables state: its chains (by "table/NAME") and its hook jumps.</summary>
public sealed record IptablesKernelState(IReadOnlyDictionary<string, IReadOnlyList<string>> Chains, IReadOnlyList<IptablesHookJump> Jumps)
{
    public static IptablesKernelState Empty { get; } = new(new Dictionary<string, IReadOnlyList<string>>(), []);
}

/// <summary>Reads iptables-save output, keeping only NETLAB- chains and the built-in rules that jump into them.</summary>
public static class IptablesSaveParser
{
    public static IptablesKernelState Parse(string save)
    {
        ArgumentNullException.ThrowIfNull(save);
        var chains = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var jumps = new List<IptablesHookJump>();
        var table = "";
        foreach (var raw in save.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith('*'))
                table = line[1..];
            else if (!IptablesRuleset.Tables.Contains(table) || line.Contains(Naming.ChainNames.PolicyPrefix, StringComparison.Ordinal))
                continue; // the NetworkPolicy rules (Policy/) are kept by their own applier
            else if (line.StartsWith(':' + Naming.ChainNames.Prefix, StringComparison.Ordinal))
                chains[$"{table}/{line[1..line.IndexOf(' ', StringComparison.Ordinal)]}"] = [];
            else if (line.StartsWith("-A ", StringComparison.Ordinal))
            {
                var chain = ChainGraphValidator.ChainOf(line);
                if (chain.StartsWith(Naming.ChainNames.Prefix, StringComparison.Ordinal))
                {
                    if (chains.TryGetValue($"{table}/{chain}", out var rules))
                        rules.Add(line);
                }
                else if (ChainGraphValidator.TargetOf(line)?.StartsWith(Naming.ChainNames.Prefix, StringComparison.Ordinal) == true)
                    jumps.Add(new IptablesHookJump(table, line));
            }
        }
        return new IptablesKernelState(chains.ToDictionary(c => c.Key, c => (IReadOnlyList<string>)c.Value, StringComparer.Ordinal), jumps);
    }
}
