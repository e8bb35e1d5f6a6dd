namespace Provisioner.ServiceRules.Applying;

public enum RuleBackend
{
    /// <summary>iptables through the nf_tables kernel API (iptables-nft-restore): the Debian/Ubuntu default.</summary>
    Iptables,

    /// <summary>iptables through the legacy x_tables kernel API (iptables-legacy-restore).</summary>
    IptablesLegacy,

    /// <summary>One nftables table, <c>ip netlab</c>, with maps instead of per-service chains.</summary>
    Nftables,
}

public enum RuleChangeKind { Add, Remove }

/// <summary>One line of the diff a preview shows: a rule, chain or map element added or removed.</summary>
public sealed record RuleChange(RuleChangeKind Kind, string Text)
{
    public override string ToString() => (Kind == RuleChangeKind.Add ? "+ " : "- ") + Text;
}

/// <summary>
/// What applying would do, computed against what the kernel holds now: the changes (for a preview) and the one
/// transaction (iptables-restore --noflush payload or nft script) that performs them. No changes means nothing runs.
/// </summary>
public sealed record RulePlan
{
    private readonly Lazy<string> _script;

    public RulePlan(RuleBackend Backend, string? Netns, IReadOnlyList<RuleChange> Changes, string Script, bool FullSync)
        : this(Backend, Netns, Changes, new Lazy<string>(Script), FullSync)
    {
    }

    /// <summary>A plan whose script is written when first read: the iptables-legacy first sync writes x_tables images
    /// instead, and its 16 MB restore text (~0.3 s at 10k services) is built only for a reader (a preview, --test, the
    /// tool when the images cannot be used).</summary>
    public RulePlan(RuleBackend Backend, string? Netns, IReadOnlyList<RuleChange> Changes, Func<string> Script, bool FullSync)
        : this(Backend, Netns, Changes, new Lazy<string>(Script, LazyThreadSafetyMode.ExecutionAndPublication), FullSync)
    {
    }

    private RulePlan(RuleBackend backend, string? netns, IReadOnlyList<RuleChange> changes, Lazy<string> script, bool fullSync)
    {
        Backend = backend;
        Netns = netns;
        Changes = changes;
        _script = script;
        FullSync = fullSync;
    }

    public RuleBackend Backend { get; init; }

    public string? Netns { get; init; }

    public IReadOnlyList<RuleChange> Changes { get; init; }

    /// <summary>The transaction: iptables-restore --noflush payload or nft script.</summary>
    public string Script => _script.Value;

    public bool FullSync { get; init; }

    /// <summary>By value, the script's text included (as when it was a positional string).</summary>
    public bool Equals(RulePlan? other) =>
        other is not null && Backend == other.Backend && Netns == other.Netns && Equals(Changes, other.Changes) && FullSync == other.FullSync
        && Equals(FirstLoad, other.FirstLoad) && Equals(IptablesFirstLoad, other.IptablesFirstLoad) && Script == other.Script;

    public override int GetHashCode() => HashCode.Combine(Backend, Netns, Changes, FullSync, Script);

    public bool HasChanges => Changes.Count > 0;

    /// <summary>nftables: the table to load when the kernel holds none (a first sync), written in ordered transactions
    /// with its elements over netlink (<see cref="NftFirstLoad"/>) instead of <see cref="Script"/>'s one nft -f.</summary>
    public Nftables.NftRuleset? FirstLoad { get; init; }

    /// <summary>iptables: the whole ruleset when the kernel holds none of netlab's chains (a first sync), for
    /// <see cref="LegacyDirectLoad"/> to write as x_tables images if the tables are empty, or <see cref="IptablesDirectLoad"/>
    /// as one nf_tables batch (else <see cref="Script"/>, by the tool).</summary>
    public Iptables.IptablesRuleset? IptablesFirstLoad { get; init; }

    /// <summary>Counted without writing a deferred list's records (an iptables first sync's ~150k).</summary>
    public int Added => Changes is Iptables.ChangeList list ? list.Added : Changes.Count(c => c.Kind == RuleChangeKind.Add);

    public int Removed => Changes is Iptables.ChangeList list ? list.Removed : Changes.Count(c => c.Kind == RuleChangeKind.Remove);

    public string Summary => HasChanges
        ? $"{Backend}{(Netns is null ? "" : $" in netns {Netns}")}: {Added} to add, {Removed} to remove{(FullSync ? " (full sync)" : "")}"
        : $"{Backend}{(Netns is null ? "" : $" in netns {Netns}")}: no changes";

    /// <summary>The summary and every change, one per line, as a preview prints it.</summary>
    public string Describe(int maxLines = int.MaxValue) =>
        string.Join(Environment.NewLine, [Summary, .. Changes.Take(maxLines).Select(c => "  " + c),
            .. Changes.Count > maxLines ? [$"  ... and {Changes.Count - maxLines} more"] : Array.Empty<string>()]);
}

/// <summary>The outcome of an apply or remove: the plan, whether a transaction ran, and how long each part took.</summary>
public sealed record ApplyResult(RulePlan Plan, bool Applied, TimeSpan ReadTime, TimeSpan ApplyTime, IReadOnlyList<string> DnsOnlyServices)
{
    /// <summary>What wrote the rules (the tool, or the x_tables replace, and why not the latter), when applied.</summary>
    public string? Writer { get; init; }

    public override string ToString() =>
        (Applied ? $"applied: {Plan.Summary}" : Plan.Summary) +
        (DnsOnlyServices.Count == 0 ? "" : Environment.NewLine + string.Join(Environment.NewLine,
            DnsOnlyServices.Select(s => $"  {s}: DNS-only (headless or ExternalName), no rules")));
}
