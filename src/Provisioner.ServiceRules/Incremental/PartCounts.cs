namespace Provisioner.ServiceRules.Incremental;

/// <summary>
/// One list of the compiled rules that every service contributes a part to (an nftables set, an iptables dispatch
/// chain), assembled as the parts in service-key order (shared lists without repeats). It counts how many parts hold
/// each identity, so a change of a few services is diffed from their parts alone: an element leaves the list when its
/// count drops to zero and joins it when its count leaves zero, exactly as a diff of the two whole lists would say.
/// </summary>
internal sealed class PartCounts
{
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);

    /// <summary>How many identities more than one part holds (a list with repeats is rewritten whole, not diffed).</summary>
    public int Repeated { get; private set; }

    public int this[string identity] => _counts.GetValueOrDefault(identity);

    public void Add(string identity, int by)
    {
        var before = _counts.GetValueOrDefault(identity);
        var after = before + by;
        if (before > 1)
            Repeated--;
        if (after > 1)
            Repeated++;
        if (after == 0)
            _counts.Remove(identity);
        else
            _counts[identity] = after;
    }

    /// <summary>
    /// What leaves and what joins the assembled list when the changed services' parts go from <paramref name="before"/>
    /// to <paramref name="after"/> (both in service-key order, null for no part): removed in the order of the list
    /// before, added in the order of the list after, each occurrence (or, for a <paramref name="distinct"/> list, the one).
    /// </summary>
    public (List<T> Removed, List<T> Added) Diff<T>(IEnumerable<IReadOnlyList<T>?> before, IEnumerable<IReadOnlyList<T>?> after,
        Func<T, string> identity, bool distinct)
    {
        var oldParts = before.ToList();
        var newParts = after.ToList();
        var delta = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var item in oldParts.SelectMany(p => p ?? []))
            delta[identity(item)] = delta.GetValueOrDefault(identity(item)) - 1;
        foreach (var item in newParts.SelectMany(p => p ?? []))
            delta[identity(item)] = delta.GetValueOrDefault(identity(item)) + 1;
        var removed = Select(oldParts, item => this[item] + delta[item] == 0);
        var added = Select(newParts, item => this[item] == 0);
        return (removed, added);

        List<T> Select(List<IReadOnlyList<T>?> parts, Func<string, bool> wanted)
        {
            var chosen = new List<T>();
            var once = distinct ? new HashSet<string>(StringComparer.Ordinal) : null;
            foreach (var item in parts.SelectMany(p => p ?? []))
            {
                var id = identity(item);
                if (wanted(id) && (once is null || once.Add(id)))
                    chosen.Add(item);
            }
            return chosen;
        }
    }
}
