using Provisioner.ServiceRules.Applying;
using Provisioner.Testing;

namespace Provisioner.ServiceRules.Tests;

/// <summary>The rules written are the rules the kernel lists back: a second plan finds nothing to do.</summary>
[Collection(PrivilegedCollection.Name)]
public sealed class KernelRoundTripSpecs : IDisposable
{
    private readonly TestNetns _netns = new();

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.IptablesLegacy)]
    [InlineData(RuleBackend.Nftables)]
    public async Task Applying_an_unchanged_table_again_runs_nothing(RuleBackend backend)
    {
        var ns = _netns.Create("nlr");
        var applier = new ServiceRulesApplier(backend, ns);

        var first = await applier.ApplyAsync(Samples.All, Samples.NodeA);
        var again = await new ServiceRulesApplier(backend, ns).PlanAsync(Samples.All, Samples.NodeA);

        var kernel = await applier.ReadKernelRulesAsync();
        Assert.True(first.Applied);
        Assert.Contains("10.96.0.10", kernel, StringComparison.Ordinal);
        Assert.False(again.HasChanges, again.Describe() + "\n" + await applier.ReadKernelRulesAsync());
    }

    public void Dispose() => _netns.Dispose();
}
