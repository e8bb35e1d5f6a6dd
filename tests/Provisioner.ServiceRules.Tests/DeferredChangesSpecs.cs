using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Iptables;

namespace Provisioner.ServiceRules.Tests;

/// <summary>A first sync's change list writes its per-rule records only when read; what it reads is the same list.</summary>
public sealed class DeferredChangesSpecs
{
    [Fact]
    public void A_first_sync_lists_every_new_chain_and_its_distinct_rules_with_counts_that_match()
    {
        var desired = IptablesCompiler.Compile(Samples.All, Samples.NodeA);
        var changes = IptablesPlanner.Plan(desired, IptablesKernelState.Empty).Changes;
        var expected = desired.Chains.SelectMany(c => (IEnumerable<RuleChange>)[new(RuleChangeKind.Add, $"chain {c.Key}"),
                .. c.Rules.Distinct().Select(r => new RuleChange(RuleChangeKind.Add, $"{c.Table}: {r}"))])
            .Concat(IptablesRuleset.Tables.SelectMany(t => desired.Jumps.Where(j => j.Table == t).Select(j => new RuleChange(RuleChangeKind.Add, $"{t}: {j.Rule}"))))
            .ToList();
        Assert.Equal(expected.Count, changes.Count);
        Assert.Equal(expected.OrderBy(c => c.Text, StringComparer.Ordinal), changes.OrderBy(c => c.Text, StringComparer.Ordinal));
        Assert.Equal(changes.ToList(), Enumerable.Range(0, changes.Count).Select(i => changes[i]));
        var plan = new RulePlan(RuleBackend.Iptables, null, changes, "", true);
        Assert.Equal((changes.Count, 0), (plan.Added, plan.Removed));
        Assert.Equal(changes.Take(3).Select(c => "  " + c), plan.Describe(maxLines: 3).Split(Environment.NewLine).Skip(1).Take(3));
    }

    [Fact]
    public void A_removal_counts_as_removed()
    {
        var desired = IptablesCompiler.Compile(Samples.All, Samples.NodeA);
        var kernel = new IptablesKernelState(desired.Chains.ToDictionary(c => c.Key, c => c.Rules, StringComparer.Ordinal), desired.Jumps);
        var plan = new RulePlan(RuleBackend.Iptables, null, IptablesPlanner.Plan(IptablesRuleset.Empty, kernel).Changes, "", true);
        Assert.Equal(0, plan.Added);
        Assert.Equal(plan.Changes.Count(c => c.Kind == RuleChangeKind.Remove), plan.Removed);
        Assert.True(plan.Removed > 0);
    }
}
