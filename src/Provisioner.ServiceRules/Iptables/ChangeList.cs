using System.Collections;
using Provisioner.ServiceRules.Applying;

namespace Provisioner.ServiceRules.Iptables;

/// <summary>
/// A plan's change list as the planner builds it, in order, with a new chain's records (its line and one per distinct
/// rule) written only when the list is read: a first sync adds every rule (~150k at 10k services), and a sync that
/// applies it reads only the counts. Enumerating writes the records as it goes (a preview's first lines write only
/// those); indexing writes them all once.
/// </summary>
internal sealed class ChangeList : IReadOnlyList<RuleChange>
{
    private readonly List<object> _parts = []; // a RuleChange, or an IptablesChain added whole
    private List<RuleChange>? _all;

    public int Count { get; private set; }

    public int Added { get; private set; }

    public int Removed => Count - Added;

    public void Add(RuleChange change)
    {
        _parts.Add(change);
        Count++;
        Added += change.Kind == RuleChangeKind.Add ? 1 : 0;
        _all = null;
    }

    public void AddRange(IEnumerable<RuleChange> changes)
    {
        foreach (var change in changes)
            Add(change);
    }

    /// <summary>A chain the kernel lacks: "chain table/NAME", then each distinct rule, all added.</summary>
    public void AddNewChain(IptablesChain chain)
    {
        var lines = 1 + DistinctCount(chain.Rules);
        _parts.Add(chain);
        Count += lines;
        Added += lines;
        _all = null;
    }

    public RuleChange this[int index] => (_all ??= [.. Enumerate()])[index];

    public IEnumerator<RuleChange> GetEnumerator() => (_all ?? Enumerate()).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private IEnumerable<RuleChange> Enumerate()
    {
        foreach (var part in _parts)
        {
            if (part is RuleChange change)
            {
                yield return change;
                continue;
            }
            var chain = (IptablesChain)part;
            yield return new(RuleChangeKind.Add, $"chain {chain.Key}");
            foreach (var rule in chain.Rules.Distinct())
                yield return new(RuleChangeKind.Add, $"{chain.Table}: {rule}");
        }
    }

    /// <summary>Most chains hold a few rules: compared pairwise, without a set.</summary>
    private static int DistinctCount(IReadOnlyList<string> rules)
    {
        if (rules.Count > 8)
            return rules.Distinct().Count();
        var count = 0;
        for (var i = 0; i < rules.Count; i++)
        {
            var seen = false;
            for (var j = 0; j < i && !seen; j++)
                seen = string.Equals(rules[i], rules[j], StringComparison.Ordinal);
            count += seen ? 0 : 1;
        }
        return count;
    }
}
