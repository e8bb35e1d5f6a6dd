using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Validation;
using Provisioner.Testing;

namespace Provisioner.ServiceRules.Tests;

/// <summary>
/// Incremental syncs on the real kernel: a random sequence of service changes, each applied by one long-lived engine
/// as a partial sync (only the changed services compiled), leaves after every step exactly the rules a stateless
/// applier, reading the kernel and compiling the whole table, finds nothing to change in.
/// </summary>
[Collection(PrivilegedCollection.Name)]
public sealed class IncrementalKernelSpecs : IDisposable
{
    private readonly TestNetns _netns = new();

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables, 11)]
    [InlineData(RuleBackend.Nftables, 12)]
    public async Task Every_partial_sync_leaves_the_kernel_as_a_full_compile_would(RuleBackend backend, int seed)
    {
        var ns = _netns.Create("nli");
        using var engine = new ServiceRulesEngine(backend, ns);
        var random = new RandomTables(seed);
        var table = ServiceTable.Empty;
        var partial = 0;
        for (var step = 0; step < 25; step++)
        {
            var next = random.Next(table, keepUnchangedObjects: true);
            if (ServiceTableValidator.Validate(next, Samples.NodeA).Count > 0)
                continue;
            var result = await engine.SyncAsync(next, Samples.NodeA);
            var check = await new ServiceRulesApplier(backend, ns).PlanAsync(next, Samples.NodeA);
            Assert.False(check.HasChanges, $"step {step}, after a {result.Kind} sync ({result.Plan.Summary}), a full compile still plans:\n{check.Describe(20)}");
            if (result.Kind == SyncKind.Partial && result.Applied)
                partial++;
            table = next;
        }
        Assert.True(partial >= 5, $"only {partial} partial syncs applied changes");
    }

    public void Dispose() => _netns.Dispose();
}
