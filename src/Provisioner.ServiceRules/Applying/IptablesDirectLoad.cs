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

    private const int ERestart = 85;
    private readonly NfTablesRuleBatch _batch;
    private readonly string _script;
    private readonly List<Item> _messages; // each message, for a refusal's error (no string per message)

    private IptablesDirectLoad(NfTablesRuleBatch batch, string script, List<Item> messages) => (_batch, _script, _messages) = (batch, script, messages);

    /// <summary>A message to write: a rule is its line's place in the script (no copy of 150k lines kept alive: the GC
    /// would copy them at every collection the encoding triggers), anything else its name.</summary>
    private readonly record struct Item(string What, string Table, string Name, int Start = 0, int Length = 0)
    {
        public string Line(string script) => What == "rule" ? script.Substring(Start, Length) : Name;
    }

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
        // the generation first: a change after it (and so after the dump) makes the kernel refuse the batch
        var generation = NfTablesGeneration.Read(netnsPath);
        var existing = NfTablesRuleBatch.Chains(netnsPath);
        if (existing.Values.Any(chains => chains.Any(c => c.StartsWith("NETLAB-", StringComparison.Ordinal))))
            return null;
        var load = Encode(script, existing);
        if (load is not null)
            load.Batch.Generation = generation.Id;
        return load;
    }

    /// <summary>Encodes <paramref name="script"/> for a kernel holding <paramref name="existing"/> chains per table.</summary>
    internal static IptablesDirectLoad? Encode(string script, IReadOnlyDictionary<string, HashSet<string>> existing)
    {
        // first the messages in batch order (cheap), then their encoding in parallel chunks, joined in that order
        var what = new List<Item>();
        var hooks = new List<(string Table, string Chain, string Line)>();
        string? table = null;
        foreach (var range in script.AsSpan().Split('\n'))
        {
            var (start, length) = range.GetOffsetAndLength(script.Length);
            if (length > 0 && script[start + length - 1] == '\r')
                length--;
            var span = script.AsSpan(start, length);
            if (length == 0 || span[0] == '#' || span.SequenceEqual(IptablesPlanner.WholeTableLoad))
                continue;
            if (span.StartsWith("-A NETLAB-"))
            {
                if (table is null)
                    return null;
                what.Add(new("rule", table, "", start, length));
                continue;
            }
            var line = span.ToString();
            if (line[0] == '*')
            {
                table = line[1..];
                if (table is not ("nat" or "filter"))
                    return null;
                what.Add(new("table", table, ""));
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
                what.Add(new("chain", table, name));
                continue;
            }
            var chainEnd = line.IndexOf(' ', 3);
            var chain = line.StartsWith("-I ", StringComparison.Ordinal) && chainEnd > 3 ? line[3..chainEnd] : "";
            if (!BuiltIn.ContainsKey((table, chain)))
                return null;
            hooks.Add((table, chain, line));
        }
        if (table is not null)
            return null; // no COMMIT: not a payload the planner wrote
        var created = new HashSet<(string, string)>();
        foreach (var (hookTable, chain, line) in hooks)
        {
            if (!(existing.TryGetValue(hookTable, out var chains) && chains.Contains(chain)) && created.Add((hookTable, chain)))
                what.Add(new("built-in chain", hookTable, chain));
            what.Add(new("hook rule", hookTable, line));
        }
        var chunks = what.Chunk(Math.Max(1, (what.Count + 15) / 16)).ToArray();
        var batches = new NfTablesRuleBatch?[chunks.Length];
        Parallel.For(0, chunks.Length, i =>
        {
            // a rule's message is ~5 times its line (a comment alone is 256 bytes): sized once, no regrowth
            var batch = new NfTablesRuleBatch(i == 0 ? 6 * script.Length : 6 * chunks[i].Sum(m => m.Length + m.Name.Length + 64));
            foreach (var item in chunks[i])
            {
                var (kind, t, name) = (item.What, item.Table, item.Name);
                switch (kind)
                {
                    case "table":
                        batch.AddTable(t);
                        break;
                    case "chain":
                        batch.AddChain(t, name);
                        break;
                    case "built-in chain":
                        var (hook, priority) = BuiltIn[(t, name)];
                        batch.AddBaseChain(t, name, hook, priority, t);
                        break;
                    default:
                        if (!IptablesNftRuleCodec.TryAdd(batch, t, item.Line(script)))
                            return; // left null: a shape the encoder does not know
                        break;
                }
            }
            batches[i] = batch;
        });
        if (batches.Any(b => b is null))
            return null;
        var all = batches[0]!;
        foreach (var batch in batches.Skip(1))
            all.Append(batch!);
        return new IptablesDirectLoad(all, script, what);
    }

    /// <summary>Commits the batch and says what wrote the rules (the sync result's Writer); a refusal throws naming the
    /// message the kernel pointed at (nothing was applied).</summary>
    public string Run(string? netnsPath)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var refused = _batch.Commit(netnsPath, $"nf_tables batch of {_messages.Count} iptables-nft messages");
        if (refused.Count == 0)
            return $"nf_tables batch (no iptables-nft-restore): {_messages.Count} messages, kernel {clock.Elapsed.TotalMilliseconds:0} ms";
        var named = refused.Take(5).Select(e => (e.Message >= 0 && e.Message < _messages.Count ? Describe(_messages[e.Message], _script) : "the batch") + ": " + e.Reason
            + (e.Errno == ERestart ? " (the ruleset changed after netlab read it; the next sync reads it again)" : ""));
        throw new IptablesLoadException("the kernel refused the iptables-nft first load (one nf_tables transaction, so none of it was applied): "
            + string.Join("; ", named) + (refused.Count > 5 ? $"; and {refused.Count - 5} more" : ""));
    }

    private static string Describe(Item m, string script) => m.What switch
    {
        "table" => $"table ip {m.Table}",
        "rule" or "hook rule" => $"rule in table ip {m.Table}: {m.Line(script)}",
        _ => $"{m.What} {m.Name} of table ip {m.Table}",
    };
}

/// <summary>The kernel refused the direct iptables-nft load; the message names the rule or chain.</summary>
public sealed class IptablesLoadException : Provisioner.Errors.NetlabException
{
    public IptablesLoadException(string message) : base(message) { }

    public IptablesLoadException() : base("the iptables-nft load failed") { }

    public IptablesLoadException(string message, Exception inner) : base(message, inner) { }
}
