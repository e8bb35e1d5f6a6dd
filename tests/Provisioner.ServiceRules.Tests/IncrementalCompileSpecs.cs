using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Incremental;
using Provisioner.ServiceRules.Iptables;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Validation;

namespace Provisioner.ServiceRules.Tests;

/// <summary>
/// The engine's incremental compile against the full one, over random sequences of service changes: after every
/// change the partial plan (computed from the changed services alone) is the plan a diff of the two whole rulesets
/// gives, change for change and byte for byte, the assembled rules are the full compile's, and a bad table is refused
/// with the same problems.
/// </summary>
public sealed class IncrementalCompileSpecs
{
    public static TheoryData<RuleBackend, int, bool> Runs()
    {
        var runs = new TheoryData<RuleBackend, int, bool>();
        foreach (var backend in new[] { RuleBackend.Iptables, RuleBackend.IptablesLegacy, RuleBackend.Nftables })
            foreach (var seed in Enumerable.Range(1, 6))
                runs.Add(backend, seed, seed % 2 == 0);
        return runs;
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void A_partial_sync_plans_exactly_what_a_full_compile_and_diff_would(RuleBackend backend, int seed, bool keepUnchangedObjects)
    {
        var random = new RandomTables(seed);
        var compiled = new CompiledTable(backend, Samples.NodeA);
        var applied = ServiceTable.Empty;
        var (partialPlans, refused, changes) = (0, 0, 0);
        for (var step = 0; step < 60; step++)
        {
            var next = random.Next(applied, keepUnchangedObjects);
            var delta = compiled.Diff(next);
            Assert.Equal(TableFingerprint.Of(next, Samples.NodeA), delta.Fingerprint);
            var problems = ServiceTableValidator.Validate(next, Samples.NodeA);
            if (problems.Count > 0)
            {
                var refusal = Assert.Throws<InvalidServiceTableException>(() => delta.PlanPartial(null));
                Assert.Equal(new InvalidServiceTableException(problems).Message, refusal.Message);
                refused++;
                continue;
            }
            var full = DesiredRules.Of(backend, next, Samples.NodeA);
            var expected = full.PlanFrom(DesiredRules.Of(backend, applied, Samples.NodeA).AfterApply(), null);
            var partial = compiled.Services.Count > 0 ? delta.PlanPartial(null) : null;
            if (partial is not null)
            {
                partialPlans++;
                Assert.Equal(expected.Changes, partial.Changes);
                Assert.Equal(expected.Script, partial.Script);
                Assert.Equal(expected.FullSync, partial.FullSync);
            }
            Assert.Equal(Text(full), Text(delta.Assemble()));
            delta.Commit();
            Assert.Equal(Text(full), Text(compiled.Assembled()));
            Assert.Equal(TableFingerprint.Of(next, Samples.NodeA), compiled.Fingerprint);
            changes += expected.Changes.Count;
            applied = next;
        }
        Assert.True(partialPlans >= 20, $"only {partialPlans} of 60 steps planned partially ({refused} refused)");
        Assert.True(refused > 0 && changes > 0, $"{refused} tables refused, {changes} changes: the generator no longer exercises both");
    }

    [Theory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.Nftables)]
    public void A_service_whose_fields_did_not_change_is_not_a_change_even_as_a_new_object(RuleBackend backend)
    {
        var compiled = new CompiledTable(backend, Samples.NodeA);
        compiled.Diff(Samples.All).Commit();

        var delta = compiled.Diff(new ServiceTable([.. Samples.All.Services.Select(s => s with { })]));

        Assert.Equal(0, delta.Changed);
        Assert.Equal(compiled.Fingerprint, delta.Fingerprint);
        Assert.Empty(Assert.IsType<RulePlan>(delta.PlanPartial(null)).Changes);
    }

    [Fact]
    public void A_new_endpoint_count_past_the_pick_chains_replans_the_whole_nft_table()
    {
        var compiled = new CompiledTable(RuleBackend.Nftables, Samples.NodeA);
        compiled.Diff(Samples.All).Commit();
        var many = Samples.Web with { Endpoints = [.. Enumerable.Range(1, 9).Select(i => new Endpoint($"10.244.3.{i}", "node-a"))] };

        var delta = compiled.Diff(Samples.All.WithService(many));

        Assert.Null(delta.PlanPartial(null));
        Assert.True(delta.Assemble().PlanFrom(compiled.Assembled().AfterApply(), null).FullSync);
    }

    internal static string Text(DesiredRules rules) =>
        rules.Nft?.ToScript() ?? (rules.Iptables ?? IptablesRuleset.Empty).ToRestorePayload();
}
