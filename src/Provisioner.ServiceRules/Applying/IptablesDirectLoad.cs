using Provisioner.Host.Netlink;
using Provisioner.ServiceRules.Iptables;

namespace Provisioner.ServiceRules.Applying;

/// <summary>
/// The iptables-nft first sync written without the tool: what iptables-nft-restore 1.8.9 would send for the ruleset, as
/// one nf_tables batch over NETLINK_NETFILTER, encoded from the compiled ruleset (no restore text written or parsed).
/// The tool spends ~2 s of userspace (libxtables' name lookups, libnftnl) on a 10k-service payload. Only for a namespace
/// whose ip tables hold no NETLAB chain (a first sync): a table that has them keeps the tool's transactions. The batch:
/// per table NFT_MSG_NEWTABLE (no EXCL: an existing table stays), the netlab chains (EXCL), their rules; then the
/// built-in chains the hook jumps need that do not exist (as iptables-nft creates them: policy accept) and the hook
/// jumps, each inserted at the head as the planner's <c>-I CHAIN 1</c>, last. Comments that end a rule's matches go in
/// the rule's userdata, as nft keeps them (<see cref="IptablesNftRuleCodec"/>: iptables-nft-save prints the same line,
/// and the kernel parses one compat match less per rule). Foreign chains and rules are not touched. One transaction: a
/// refused message refuses all of it. A rule whose shape the codec does not know: <see cref="TryCreate"/> returns null
/// and the tool runs the sync. NETLAB_IPTABLES_DIRECT=0 forces the tool (the bench's A/B).
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
    private readonly List<Item> _messages; // each message, for a refusal's error

    private IptablesDirectLoad(NfTablesRuleBatch batch, List<Item> messages) => (_batch, _messages) = (batch, messages);

    /// <summary>A message to write: a table, chain or built-in chain by its name, a rule or hook rule by its line.</summary>
    private readonly record struct Item(string What, string Table, string Name);

    /// <summary>The batch (the codec specs and the equality spec read it).</summary>
    internal NfTablesRuleBatch Batch => _batch;

    public static bool Enabled => Environment.GetEnvironmentVariable("NETLAB_IPTABLES_DIRECT") != "0";

    /// <summary>The direct load of <paramref name="ruleset"/> into the namespace at <paramref name="netnsPath"/>, or
    /// null: the namespace already holds netlab chains, or a rule has a shape the encoder does not know.</summary>
    public static IptablesDirectLoad? TryCreate(IptablesRuleset ruleset, string? netnsPath)
    {
        ArgumentNullException.ThrowIfNull(ruleset);
        if (!Enabled)
            return null;
        // the generation first: a change after it (and so after the dump) makes the kernel refuse the batch
        var generation = NfTablesGeneration.Read(netnsPath);
        var existing = NfTablesRuleBatch.Chains(netnsPath);
        if (existing.Values.Any(chains => chains.Any(c => c.StartsWith("NETLAB-", StringComparison.Ordinal))))
            return null;
        var load = Encode(ruleset, existing);
        if (load is not null)
            load.Batch.Generation = generation.Id;
        return load;
    }

    /// <summary>Encodes <paramref name="ruleset"/> for a kernel holding <paramref name="existing"/> chains per table.
    /// <paramref name="commentsAsUserData"/> false: every comment an xt match, byte for byte the tool's batch.</summary>
    internal static IptablesDirectLoad? Encode(IptablesRuleset ruleset, IReadOnlyDictionary<string, HashSet<string>> existing,
        bool commentsAsUserData = true)
    {
        // first the messages in batch order (cheap), then their encoding in parallel chunks, joined in that order
        var what = new List<Item>(ruleset.Chains.Sum(c => c.Rules.Count + 1) + 2 * ruleset.Jumps.Count + IptablesRuleset.Tables.Count);
        var bytes = 0L;
        foreach (var table in IptablesRuleset.Tables)
        {
            var chains = ruleset.Chains.Where(c => c.Table == table).ToList();
            var jumps = ruleset.Jumps.Where(j => j.Table == table).ToList();
            if (chains.Count == 0 && jumps.Count == 0)
                continue;
            what.Add(new("table", table, table));
            foreach (var chain in chains)
            {
                if (!chain.Name.StartsWith("NETLAB-", StringComparison.Ordinal))
                    return null;
                what.Add(new("chain", table, chain.Name));
            }
            foreach (var chain in chains)
                foreach (var rule in chain.Rules)
                {
                    what.Add(new("rule", table, rule));
                    bytes += rule.Length;
                }
            var created = new HashSet<string>(StringComparer.Ordinal);
            foreach (var jump in jumps)
            {
                var hooked = Iptables.ChainGraphValidator.ChainOf(jump.Rule);
                if (!BuiltIn.ContainsKey((table, hooked)) || !jump.Rule.StartsWith("-A ", StringComparison.Ordinal))
                    return null;
                if (!(existing.TryGetValue(table, out var present) && present.Contains(hooked)) && created.Add(hooked))
                    what.Add(new("built-in chain", table, hooked));
                what.Add(new("hook rule", table, jump.Rule));
            }
        }
        var chunks = what.Chunk(Math.Max(1, (what.Count + 15) / 16)).ToArray();
        var batches = new NfTablesRuleBatch?[chunks.Length];
        Parallel.For(0, chunks.Length, i =>
        {
            // a rule's message is ~3 times its line with userdata comments, ~5 with xt ones (a comment alone is 256
            // bytes): the first chunk's buffer, which the others are appended to, sized once for all of them
            var factor = commentsAsUserData ? 4 : 6;
            var batch = new NfTablesRuleBatch((int)Math.Min(int.MaxValue / 2, i == 0 ? factor * bytes + 64L * what.Count : factor * chunks[i].Sum(m => m.Name.Length + 64L)));
            foreach (var item in chunks[i])
            {
                var (kind, t, name) = item;
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
                    case "hook rule":
                        // the planner's -I CHAIN 1: each jump inserted at the head, in the ruleset's order
                        var chain = Iptables.ChainGraphValidator.ChainOf(name);
                        if (!IptablesNftRuleCodec.TryAdd(batch, t, $"-I {chain} 1{name[(3 + chain.Length)..]}", commentsAsUserData))
                            return;
                        break;
                    default:
                        if (!IptablesNftRuleCodec.TryAdd(batch, t, name, commentsAsUserData))
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
        return new IptablesDirectLoad(all, what);
    }

    /// <summary>Commits the batch and says what wrote the rules (the sync result's Writer); a refusal throws naming the
    /// message the kernel pointed at (nothing was applied).</summary>
    public string Run(string? netnsPath)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var refused = _batch.Commit(netnsPath, $"nf_tables batch of {_messages.Count} iptables-nft messages");
        if (refused.Count == 0)
            return $"nf_tables batch (no iptables-nft-restore): {_messages.Count} messages, kernel {clock.Elapsed.TotalMilliseconds:0} ms";
        var named = refused.Take(5).Select(e => (e.Message >= 0 && e.Message < _messages.Count ? Describe(_messages[e.Message]) : "the batch") + ": " + e.Reason
            + (e.Errno == ERestart ? " (the ruleset changed after netlab read it; the next sync reads it again)" : ""));
        throw new IptablesLoadException("the kernel refused the iptables-nft first load (one nf_tables transaction, so none of it was applied): "
            + string.Join("; ", named) + (refused.Count > 5 ? $"; and {refused.Count - 5} more" : ""));
    }

    private static string Describe(Item m) => m.What switch
    {
        "table" => $"table ip {m.Table}",
        "rule" or "hook rule" => $"rule in table ip {m.Table}: {m.Name}",
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
