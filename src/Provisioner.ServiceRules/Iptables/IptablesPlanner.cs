using System.Text;
using Provisioner.ServiceRules.Applying;

namespace Provisioner.ServiceRules.Iptables;

/// <summary>
/// Diffs the desired iptables ruleset against the kernel's and writes the one iptables-restore --noflush payload that
/// converges it: new or changed ordered chains are rewritten whole, dispatch chains get single-rule deletes and
/// inserts, chains no longer wanted are flushed then deleted, hook jumps are added or removed. Touches only NETLAB-
/// chains and the jumps into them.
/// </summary>
public static class IptablesPlanner
{
    public static (IReadOnlyList<RuleChange> Changes, string Payload) Plan(IptablesRuleset desired, IptablesKernelState kernel)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(kernel);
        var changes = new List<RuleChange>();
        var payload = new StringBuilder();
        foreach (var table in IptablesRuleset.Tables)
        {
            var work = new TableWork();
            foreach (var chain in desired.Chains.Where(c => c.Table == table))
                PlanChain(chain, kernel.Chains.GetValueOrDefault(chain.Key), work, changes);
            var wanted = desired.Chains.Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
            foreach (var (key, rules) in kernel.Chains.Where(c => c.Key.StartsWith(table + "/", StringComparison.Ordinal) && !wanted.Contains(c.Key)))
            {
                var name = key[(table.Length + 1)..];
                work.Declare.Add(name);
                work.DeleteChains.Add(name);
                changes.Add(new(RuleChangeKind.Remove, $"chain {key} ({rules.Count} rules)"));
            }
            var kernelJumps = kernel.Jumps.Where(j => j.Table == table).Select(j => j.Rule).ToList();
            var desiredJumps = desired.Jumps.Where(j => j.Table == table).Select(j => j.Rule).ToList();
            foreach (var jump in desiredJumps.Except(kernelJumps))
            {
                work.Append.Add(AsInsert(jump));
                changes.Add(new(RuleChangeKind.Add, $"{table}: {jump}"));
            }
            foreach (var jump in kernelJumps.Except(desiredJumps).Concat(Duplicates(kernelJumps)))
            {
                work.Delete.Add("-D" + jump[2..]);
                changes.Add(new(RuleChangeKind.Remove, $"{table}: {jump}"));
            }
            if (work.IsEmpty)
                continue;
            payload.Append('*').Append(table).Append('\n');
            foreach (var name in work.Declare)
                payload.Append(':').Append(name).Append(" - [0:0]\n");
            foreach (var line in work.Delete.Concat(work.Append))
                payload.Append(line).Append('\n');
            foreach (var name in work.DeleteChains)
                payload.Append("-X ").Append(name).Append('\n');
            payload.Append("COMMIT\n");
        }
        return (changes, payload.ToString());
    }

    private static void PlanChain(IptablesChain chain, IReadOnlyList<string>? current, TableWork work, List<RuleChange> changes)
    {
        if (current is not null && current.SequenceEqual(chain.Rules, StringComparer.Ordinal))
            return;
        if (current is null || !chain.Unordered || !TailMatches(chain, current) || current.Distinct().Count() != current.Count)
        {
            work.Declare.Add(chain.Name);
            work.Append.AddRange(chain.Rules);
            if (current is null)
                changes.Add(new(RuleChangeKind.Add, $"chain {chain.Key}"));
            changes.AddRange((current ?? []).Except(chain.Rules).Select(r => new RuleChange(RuleChangeKind.Remove, $"{chain.Table}: {r}")));
            changes.AddRange(chain.Rules.Except(current ?? []).Select(r => new RuleChange(RuleChangeKind.Add, $"{chain.Table}: {r}")));
            if (current is not null && current.ToHashSet().SetEquals(chain.Rules))
                changes.Add(new(RuleChangeKind.Add, $"chain {chain.Key} reordered"));
            return;
        }
        var wanted = chain.Rules.ToHashSet(StringComparer.Ordinal);
        var present = current.ToHashSet(StringComparer.Ordinal);
        foreach (var rule in current.Where(r => !wanted.Contains(r)))
        {
            work.Delete.Add("-D" + rule[2..]);
            changes.Add(new(RuleChangeKind.Remove, $"{chain.Table}: {rule}"));
        }
        foreach (var rule in chain.Rules.Where(r => !present.Contains(r)))
        {
            work.Append.Add(AsInsert(rule));
            changes.Add(new(RuleChangeKind.Add, $"{chain.Table}: {rule}"));
        }
    }

    /// <summary>In a dispatch chain only a pinned last rule must stay last; new rules are inserted at the top.</summary>
    private static bool TailMatches(IptablesChain chain, IReadOnlyList<string> current) =>
        !chain.PinnedLast || (current.Count > 0 && chain.Rules.Count > 0 && current[^1] == chain.Rules[^1]);

    /// <summary>"-A CHAIN rest" → "-I CHAIN 1 rest".</summary>
    private static string AsInsert(string rule)
    {
        var chain = ChainGraphValidator.ChainOf(rule);
        return $"-I {chain} 1{rule[(3 + chain.Length)..]}";
    }

    private static IEnumerable<string> Duplicates(List<string> rules) =>
        rules.GroupBy(r => r, StringComparer.Ordinal).Where(g => g.Count() > 1).SelectMany(g => g.Skip(1));

    private sealed class TableWork
    {
        public List<string> Declare { get; } = [];
        public List<string> Delete { get; } = [];
        public List<string> Append { get; } = [];
        public List<string> DeleteChains { get; } = [];
        public bool IsEmpty => Declare.Count + Delete.Count + Append.Count + DeleteChains.Count == 0;
    }
}
