using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;
using Provisioner.Testing;

namespace Provisioner.ServiceRules.Tests;

/// <summary>
/// The long-lived engine on the real kernel: partial syncs from the last-applied state only while the nf_tables
/// generation proves it, a full sync (a kernel read) as soon as anything else commits, and the same across processes.
/// </summary>
[Collection(PrivilegedCollection.Name)]
public sealed class EngineSpecs : IDisposable
{
    private readonly TestNetns _netns = new();
    private readonly string _stateDirectory = Path.Combine(Path.GetTempPath(), "netlab-engine-" + Guid.NewGuid().ToString("N")[..8]);

    private static ServiceTable OneChanged => Samples.All.WithService(Samples.Web with { Endpoints = [new("10.244.1.2", "node-a"), new("10.244.7.7", "node-b")] });

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.Nftables)]
    public async Task A_change_after_a_sync_is_a_partial_sync_proven_by_the_generation_and_leaves_the_kernel_right(RuleBackend backend)
    {
        var ns = _netns.Create("nle");
        using var engine = new ServiceRulesEngine(backend, ns);

        var first = await engine.SyncAsync(Samples.All, Samples.NodeA);
        var second = await engine.SyncAsync(OneChanged, Samples.NodeA);
        var third = await engine.SyncAsync(OneChanged, Samples.NodeA);

        Assert.Equal(SyncKind.Full, first.Kind);
        Assert.NotNull(first.Generation);
        Assert.Equal(SyncKind.Partial, second.Kind);
        Assert.Contains("generation", second.Basis, StringComparison.Ordinal);
        Assert.True(second.Applied);
        Assert.False(second.Plan.FullSync);
        Assert.Equal(SyncKind.Partial, third.Kind);
        Assert.False(third.Applied);
        Assert.False((await new ServiceRulesApplier(backend, ns).PlanAsync(OneChanged, Samples.NodeA)).HasChanges);
    }

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.Nftables)]
    public async Task Any_other_commit_in_the_namespace_makes_the_next_sync_read_the_kernel(RuleBackend backend)
    {
        var ns = _netns.Create("nle");
        using var engine = new ServiceRulesEngine(backend, ns);
        await engine.SyncAsync(Samples.All, Samples.NodeA);

        Assert.True(_netns.Exec(ns, "nft", "add", "table", "ip", "someone-else").Succeeded);
        var next = await engine.SyncAsync(Samples.All, Samples.NodeA);

        Assert.Equal(SyncKind.Full, next.Kind);
        Assert.Contains("generation moved", next.Basis, StringComparison.Ordinal);
        Assert.False(next.Applied);
        Assert.Equal(SyncKind.Partial, (await engine.SyncAsync(Samples.All, Samples.NodeA)).Kind);
    }

    [PrivilegedFact]
    public async Task A_first_iptables_sync_of_a_large_table_loads_it_whole_even_where_the_nat_table_does_not_exist_yet()
    {
        var ns = _netns.Create("nle"); // a new namespace: no nat table, no built-in chains until the hook jumps make them
        var table = new ServiceTable([.. Enumerable.Range(0, 200).Select(i => Samples.Web with
        {
            Name = $"web-{i}", ClusterIP = $"10.96.{i / 200 + 1}.{i % 200 + 1}",
        })]);
        using var engine = new ServiceRulesEngine(RuleBackend.Iptables, ns);

        var first = await engine.SyncAsync(table, Samples.NodeA);

        Assert.True(first.Applied);
        Assert.Contains("\n" + Iptables.IptablesPlanner.WholeTableLoad + "\n", first.Plan.Script, StringComparison.Ordinal);
        Assert.False((await new ServiceRulesApplier(RuleBackend.Iptables, ns).PlanAsync(table, Samples.NodeA)).HasChanges);
    }

    [PrivilegedFact]
    public async Task A_requested_full_sync_reads_the_kernel_once()
    {
        var ns = _netns.Create("nle");
        using var engine = new ServiceRulesEngine(RuleBackend.Nftables, ns);
        await engine.SyncAsync(Samples.All, Samples.NodeA);

        engine.RequestFullSync();

        Assert.Equal(SyncKind.Full, (await engine.SyncAsync(Samples.All, Samples.NodeA)).Kind);
        Assert.Equal(SyncKind.Partial, (await engine.SyncAsync(Samples.All, Samples.NodeA)).Kind);
    }

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.IptablesLegacy)]
    [InlineData(RuleBackend.Nftables)]
    public async Task A_bad_table_found_while_the_kernel_is_read_is_refused_with_its_problems_and_the_next_sync_reads_again(RuleBackend backend)
    {
        var ns = _netns.Create("nle");
        using var engine = new ServiceRulesEngine(backend, ns);
        await engine.SyncAsync(Samples.All, Samples.NodeA);
        var bad = Samples.All.WithService(Samples.Web with { ClusterIP = "172.16.0.1" });
        engine.RequestFullSync(); // the table is compiled while the kernel tool lists the kernel

        var error = await Assert.ThrowsAsync<Validation.InvalidServiceTableException>(() => engine.SyncAsync(bad, Samples.NodeA));

        Assert.Contains(error.Problems, p => p is { Service: "default/web", Field: "clusterIP" });
        var next = await engine.SyncAsync(OneChanged, Samples.NodeA);
        Assert.Equal(SyncKind.Full, next.Kind);
        Assert.True(next.Applied);
        Assert.False((await new ServiceRulesApplier(backend, ns).PlanAsync(OneChanged, Samples.NodeA)).HasChanges);
    }

    [PrivilegedFact]
    public async Task A_first_sync_killed_at_its_time_limit_names_the_command_applies_nothing_and_leaves_no_compiled_file()
    {
        var ns = _netns.Create("nle");
        var (options, stateFile) = StateIn(ns);
        var compiledFile = Path.ChangeExtension(stateFile, ".compiled");
        var table = new ServiceTable([.. Enumerable.Range(0, 10_000).Select(i => Samples.Web with
        {
            Name = $"web-{i}", ClusterIP = $"10.96.{i / 250 + 1}.{i % 250 + 1}",
        })]);
        // listing an empty namespace takes milliseconds; loading 10k services takes iptables-nft-restore seconds of CPU
        // (the tool: the direct netlink load of a first sync takes ~1 s and no command)
        using var engine = new ServiceRulesEngine(RuleBackend.Iptables, ns, options with { CommandTimeout = TimeSpan.FromSeconds(2), DirectIptablesLoad = false });

        var error = await Assert.ThrowsAsync<Host.Processes.CommandTimedOutException>(() => engine.SyncAsync(table, Samples.NodeA));

        Assert.Contains("iptables-nft-restore", error.Message, StringComparison.Ordinal);
        var netlabChains = _netns.Exec(ns, "iptables-nft-save", "-t", "nat").StandardOutput.Split('\n').Count(l => l.StartsWith(":NETLAB-", StringComparison.Ordinal));
        Assert.True(netlabChains is 0 or > 40_000, $"one transaction: all or nothing, but the kernel holds {netlabChains} netlab chains");
        Assert.False(File.Exists(compiledFile), "the compiled services file of a sync that did not apply");
        Assert.False(File.Exists(compiledFile + ".next"), "the compiled services file written during the apply");
        Assert.False(File.Exists(stateFile));
    }

    [PrivilegedFact]
    public async Task Iptables_legacy_trusts_its_state_only_for_the_full_sync_period()
    {
        var ns = _netns.Create("nle");
        using var trusting = new ServiceRulesEngine(RuleBackend.IptablesLegacy, ns);
        using var reading = new ServiceRulesEngine(RuleBackend.IptablesLegacy, ns, new ServiceRulesEngineOptions { LegacyFullSyncPeriod = TimeSpan.Zero });
        await trusting.SyncAsync(Samples.All, Samples.NodeA);
        await reading.SyncAsync(Samples.All, Samples.NodeA);

        Assert.Equal(SyncKind.Partial, (await trusting.SyncAsync(OneChanged, Samples.NodeA)).Kind);
        Assert.Equal(SyncKind.Full, (await reading.SyncAsync(OneChanged, Samples.NodeA)).Kind);
        Assert.False((await new ServiceRulesApplier(RuleBackend.IptablesLegacy, ns).PlanAsync(OneChanged, Samples.NodeA)).HasChanges);
    }

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.Nftables)]
    public async Task A_new_process_trusts_the_state_file_only_while_the_generation_is_unchanged(RuleBackend backend)
    {
        var ns = _netns.Create("nle");
        var (options, stateFile) = StateIn(ns);
        using (var earlier = new ServiceRulesEngine(backend, ns, options))
            await earlier.SyncAsync(Samples.All, Samples.NodeA);

        using var later = new ServiceRulesEngine(backend, ns, options);
        var changed = await later.SyncAsync(OneChanged, Samples.NodeA);
        Assert.True(_netns.Exec(ns, "nft", "add", "table", "ip", "someone-else").Succeeded);
        using var last = new ServiceRulesEngine(backend, ns, options);
        var afterOther = await last.PlanAsync(OneChanged, Samples.NodeA);

        Assert.Equal(SyncKind.Partial, changed.Kind);
        Assert.True(changed.Applied);
        Assert.Equal(SyncKind.Full, afterOther.Kind);
        Assert.False(afterOther.Plan.HasChanges);
    }

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.Nftables)]
    public async Task A_new_process_plans_from_the_compiled_services_file_and_leaves_the_kernel_as_a_full_compile_would(RuleBackend backend)
    {
        var ns = _netns.Create("nlc");
        var (options, stateFile) = StateIn(ns);
        using (var first = new ServiceRulesEngine(backend, ns, options))
            await first.SyncAsync(Samples.All, Samples.NodeA); // the compiled services file written while the tool applied
        Assert.True(File.Exists(Path.ChangeExtension(stateFile, ".compiled")));
        Assert.False(File.Exists(Path.ChangeExtension(stateFile, ".compiled") + ".next"));
        var twoChanged = OneChanged.WithService(Samples.Sticky with { Endpoints = [new("10.244.1.3", "node-a")] });

        var previous = Samples.All;
        foreach (var (table, noOpFirst) in new[] { (OneChanged, false), (twoChanged, true), (Samples.All, false) })
        {
            using var next = new ServiceRulesEngine(backend, ns, options);
            if (noOpFirst) // the compiled services file left unread, then needed: the same process diffs against its rules
                Assert.False((await next.PlanAsync(previous, Samples.NodeA)).Plan.HasChanges);
            var result = await next.SyncAsync(table, Samples.NodeA);
            previous = table;

            Assert.Equal((SyncKind.Partial, true), (result.Kind, result.Applied));
            Assert.Contains("rules in the compiled services file", File.ReadAllText(stateFile), StringComparison.Ordinal);
            var check = await new ServiceRulesApplier(backend, ns).PlanAsync(table, Samples.NodeA);
            Assert.False(check.HasChanges, $"after a sync from the compiled services file a full compile still plans:\n{check.Describe(20)}");
        }
    }

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables, "corrupted")]
    [InlineData(RuleBackend.Iptables, "stale")]
    [InlineData(RuleBackend.Nftables, "corrupted")]
    [InlineData(RuleBackend.Nftables, "stale")]
    public async Task A_corrupted_or_stale_compiled_services_file_makes_a_new_process_read_the_kernel(RuleBackend backend, string damage)
    {
        var ns = _netns.Create("nlc");
        var (options, stateFile) = StateIn(ns);
        var compiledFile = Path.ChangeExtension(stateFile, ".compiled");
        byte[]? earlier = null;
        using (var first = new ServiceRulesEngine(backend, ns, options))
        {
            await first.SyncAsync(OneChanged, Samples.NodeA);
            earlier = File.ReadAllBytes(compiledFile);
            await first.SyncAsync(Samples.All, Samples.NodeA);
        }
        if (damage == "stale")
            File.WriteAllBytes(compiledFile, earlier); // a whole file, of a table the kernel no longer holds
        else
        {
            var bytes = File.ReadAllBytes(compiledFile);
            bytes[bytes.Length / 2] ^= 0x01;
            File.WriteAllBytes(compiledFile, bytes);
        }

        using var next = new ServiceRulesEngine(backend, ns, options);
        var result = await next.SyncAsync(OneChanged, Samples.NodeA);

        Assert.Equal((SyncKind.Full, true), (result.Kind, result.Applied));
        var check = await new ServiceRulesApplier(backend, ns).PlanAsync(OneChanged, Samples.NodeA);
        Assert.False(check.HasChanges, $"after a {damage} compiled services file a full compile still plans:\n{check.Describe(20)}");
    }

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.Nftables)]
    public async Task Removing_leaves_no_rules_and_no_state_file(RuleBackend backend)
    {
        var ns = _netns.Create("nle");
        var file = Path.Combine(_stateDirectory, ns + ".state");
        using var engine = new ServiceRulesEngine(backend, ns, new ServiceRulesEngineOptions { StateFile = file });
        await engine.SyncAsync(Samples.All, Samples.NodeA);
        Assert.True(File.Exists(file));

        Assert.True(File.Exists(Path.ChangeExtension(file, ".compiled")));

        await engine.RemoveAsync();

        Assert.False(File.Exists(file));
        Assert.False(File.Exists(Path.ChangeExtension(file, ".compiled")));
        Assert.False((await new ServiceRulesApplier(backend, ns).PlanRemoveAsync()).HasChanges);
    }

    private (ServiceRulesEngineOptions Options, string StateFile) StateIn(string ns)
    {
        var file = Path.Combine(_stateDirectory, ns + ".state");
        return (new ServiceRulesEngineOptions { StateFile = file }, file);
    }

    public void Dispose()
    {
        _netns.Dispose();
        if (Directory.Exists(_stateDirectory))
            Directory.Delete(_stateDirectory, recursive: true);
    }
}
