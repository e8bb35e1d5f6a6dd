using Provisioner.Host.Netlink;
using Provisioner.ServiceRules.Iptables;

namespace Provisioner.ServiceRules.Applying;

/// <summary>
/// The iptables-nft first sync written without the tool: what iptables-nft-restore 1.8.9 would send for the planner's
/// payload, as one nf_tables batch over NETLINK_NETFILTER. The tool spends ~2 s of userspace (libxtables' name
/// lookups, libnftnl) on a 10k-service payload whose kernel share is ~1.0-1.4 s (its batch replayed alone). Only for a
/// namespace whose ip tables hold no NETLAB chain (the planner's whole-table first load): a table that has them keeps
/// the tool's transactions. The batch: per table NFT_MSG_NEWTABLE (no EXCL: an existing table stays), the netlab
/// chains (EXCL), their rules; then the built-in chains the hook jumps need that do not exist (as iptables-nft creates
/// them: policy accept) and the hook jumps, last. Foreign chains and rules are not touched. One transaction: a refused
/// message refuses all of it. A line whose shape <see cref="IptablesNftRuleCodec"/> does not know (or any command but
/// <c>*table :chain -A -I -S COMMIT</c>): <see cref="TryCreate"/> returns null and the tool runs the sync.
/// NETLAB_IPTABLES_DIRECT=0 forces the tool (the bench's A/B).
/// </summary>
internal sealed class IptablesDirectLoad
{
    private static readonly Dictionary<(string Table, string Chain), (uint Hook, int Priority)> BuiltIn = new()
    {
        [("nat", "PREROUTING")] = (0, -100),
        [("nat", "INPUT")] = (1, 100),
        [("nat", "OUTPUT")] = (3, -100),
        [("nat", "POSTROUTING")] = (4, 100),
        [("filter", "INPUT")] = (1, 0),
        [("filter", "FORWARD")] = (2, 0),
        [("filter", "OUTPUT")] = (3, 0),
    };

    private readonly NfTablesRuleBatch _batch;
    private readonly List<string> _messages; // what each message of the batch is, for a refusal's error

    private IptablesDirectLoad(NfTablesRuleBatch batch, List<string> messages) => (_batch, _messages) = (batch, messages);

    /// <summary>The batch (the codec specs and the equality spec read it).</summary>
    internal NfTablesRuleBatch Batch => _batch;

    public static bool Enabled => Environment.GetEnvironmentVariable("NETLAB_IPTABLES_DIRECT") != "0";

    /// <summary>The direct load of <paramref name="script"/> into the namespace at <paramref name="netnsPath"/>, or null:
    /// the namespace already holds netlab chains, or the script has a line the encoder does not know.</summary>
    public static IptablesDirectLoad? TryCreate(string script, string? netnsPath)
    {
        ArgumentNullException.ThrowIfNull(script);
        if (!Enabled)
            return null;
        var existing = NfTablesRuleBatch.Chains(netnsPath);
        if (existing.Values.Any(chains => chains.Any(c => c.StartsWith("NETLAB-", StringComparison.Ordinal))))
            return null;
        return Encode(script, existing);
    }

    /// <summary>Encodes <paramref name="script"/> for a kernel holding <paramref name="existing"/> chains per table.</summary>
    internal static IptablesDirectLoad? Encode(string script, IReadOnlyDictionary<string, HashSet<string>> existing)
    {
        var batch = new NfTablesRuleBatch();
        var what = new List<string>();
        var hooks = new List<(string Table, string Line)>();
        string? table = null;
        foreach (var raw in script.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#' || line == IptablesPlanner.WholeTableLoad)
                continue;
            if (line[0] == '*')
            {
                table = line[1..];
                if (table is not ("nat" or "filter"))
                    return null;
                batch.AddTable(table);
                what.Add($"table ip {table}");
                continue;
            }
            if (table is null)
                return null;
            if (line == "COMMIT")
            {
                table = null;
                continue;
            }
            if (line[0] == ':')
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                var name = space > 0 ? line[1..space] : line[1..];
                if (!name.StartsWith("NETLAB-", StringComparison.Ordinal) || line != $":{name} - [0:0]")
                    return null;
                batch.AddChain(table, name);
                what.Add($"chain {name} of table ip {table}");
                continue;
            }
            var chain = line.Split(' ', 3) is [_, var c, _] ? c : "";
            if (BuiltIn.ContainsKey((table, chain)))
            {
                hooks.Add((table, line));
                continue;
            }
            if (!line.StartsWith("-A NETLAB-", StringComparison.Ordinal) || !IptablesNftRuleCodec.TryAdd(batch, table, line))
                return null;
            what.Add($"rule in table ip {table}: {line}");
        }
        if (table is not null)
            return null; // no COMMIT: not a payload the planner wrote
        var created = new HashSet<(string, string)>();
        foreach (var (hookTable, line) in hooks)
        {
            var chain = line.Split(' ', 3)[1];
            var (hook, priority) = BuiltIn[(hookTable, chain)];
            if (!(existing.TryGetValue(hookTable, out var chains) && chains.Contains(chain)) && created.Add((hookTable, chain)))
            {
                batch.AddBaseChain(hookTable, chain, hook, priority, hookTable);
                what.Add($"built-in chain {chain} of table ip {hookTable}");
            }
            if (!line.StartsWith("-I ", StringComparison.Ordinal) || !IptablesNftRuleCodec.TryAdd(batch, hookTable, line))
                return null;
            what.Add($"rule in table ip {hookTable}: {line}");
        }
        return new IptablesDirectLoad(batch, what);
    }

    /// <summary>Commits the batch; a refusal throws naming the message the kernel pointed at (nothing was applied).</summary>
    public void Run(string? netnsPath)
    {
        var refused = _batch.Commit(netnsPath, $"nf_tables batch of {_messages.Count} iptables-nft messages");
        if (refused.Count == 0)
            return;
        var named = refused.Take(5).Select(e => (e.Message >= 0 && e.Message < _messages.Count ? _messages[e.Message] : "the batch") + ": " + e.Reason);
        throw new IptablesLoadException("the kernel refused the iptables-nft first load (one nf_tables transaction, so none of it was applied): "
            + string.Join("; ", named) + (refused.Count > 5 ? $"; and {refused.Count - 5} more" : ""));
    }
}

/// <summary>The kernel refused the direct iptables-nft load; the message names the rule or chain.</summary>
public sealed class IptablesLoadException : Provisioner.Errors.NetlabException
{
    public IptablesLoadException(string message) : base(message) { }

    public IptablesLoadException() : base("the iptables-nft load failed") { }

    public IptablesLoadException(string message, Exception inner) : base(message, inner) { }
}
