using Provisioner.Host.Processes;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Validation;
using Provisioner.Testing;

namespace Provisioner.ServiceRules.Tests;

/// <summary>Plan, refuse, re-apply, remove — against a real kernel, with someone else's rules in the same tables.</summary>
[Collection(PrivilegedCollection.Name)]
public sealed class LifecycleSpecs : IDisposable
{
    private readonly TestNetns _netns = new();
    private readonly ProcessRunner _run = ProcessRunner.Default;

    private string Exec(string ns, params string[] command) =>
        _run.RunAsync("timeout", ["20", "ip", "netns", "exec", ns, .. command]).GetAwaiter().GetResult().StandardOutput;

    private static string SaveOf(RuleBackend backend) => backend == RuleBackend.IptablesLegacy ? "iptables-legacy-save" : "iptables-nft-save";

    /// <summary>
    /// Every rule the kernel holds in the namespace, for "untouched" and "nothing left" comparisons. An iptables table
    /// with no rule left (iptables never deletes a built-in table once used) counts as empty.
    /// </summary>
    private string Everything(string ns, RuleBackend backend) =>
        System.Text.RegularExpressions.Regex.Replace(
            (backend == RuleBackend.Nftables ? Exec(ns, "nft", "list", "ruleset") : Exec(ns, SaveOf(backend)))
            .Split('\n').Where(l => !l.StartsWith('#') && !l.StartsWith(':')).Aggregate("", (a, l) => a + l + "\n"),
            @"\*\w+\nCOMMIT\n", "");

    private void AddForeignRules(string ns, RuleBackend backend)
    {
        if (backend == RuleBackend.Nftables)
            Exec(ns, "nft", "add table ip other; add chain ip other post { type nat hook postrouting priority 100; }; add rule ip other post ip saddr 192.0.2.1 return");
        else
            Exec(ns, backend == RuleBackend.IptablesLegacy ? "iptables-legacy" : "iptables-nft", "-t", "nat", "-A", "POSTROUTING", "-s", "192.0.2.1/32", "-j", "RETURN");
    }

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.IptablesLegacy)]
    [InlineData(RuleBackend.Nftables)]
    public async Task A_plan_shows_the_diff_and_changes_nothing(RuleBackend backend)
    {
        var ns = _netns.Create("nlr");
        var before = Everything(ns, backend);

        var plan = await new ServiceRulesApplier(backend, ns).PlanAsync(Samples.All, Samples.NodeA);

        Assert.True(plan.HasChanges);
        Assert.Contains(plan.Changes, c => c.Kind == RuleChangeKind.Add && c.Text.Contains("10.96.0.10", StringComparison.Ordinal));
        Assert.Equal(before, Everything(ns, backend));
    }

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.IptablesLegacy)]
    [InlineData(RuleBackend.Nftables)]
    public async Task A_bad_table_is_refused_and_the_kernel_keeps_its_rules(RuleBackend backend)
    {
        var ns = _netns.Create("nlr");
        var applier = new ServiceRulesApplier(backend, ns);
        await applier.ApplyAsync(Samples.All, Samples.NodeA);
        var before = Everything(ns, backend);
        var bad = Samples.All.WithService(Samples.Web with { ClusterIP = "172.16.0.1" });

        var error = await Assert.ThrowsAsync<InvalidServiceTableException>(() => applier.ApplyAsync(bad, Samples.NodeA));

        Assert.Contains(error.Problems, p => p is { Service: "default/web", Field: "clusterIP" });
        Assert.Equal(before, Everything(ns, backend));
    }

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.IptablesLegacy)]
    [InlineData(RuleBackend.Nftables)]
    public async Task Removal_leaves_no_netlab_rule_and_keeps_everyone_elses(RuleBackend backend)
    {
        var ns = _netns.Create("nlr");
        AddForeignRules(ns, backend);
        var foreign = Everything(ns, backend);
        var applier = new ServiceRulesApplier(backend, ns);
        await applier.ApplyAsync(Samples.All, Samples.NodeA);
        Assert.Contains("192.0.2.1", Everything(ns, backend), StringComparison.Ordinal);

        var removed = await applier.RemoveAsync();
        var again = await applier.RemoveAsync();

        var after = Everything(ns, backend);
        Assert.True(removed.Applied);
        Assert.False(again.Applied);
        Assert.DoesNotContain("NETLAB", after, StringComparison.Ordinal);
        Assert.DoesNotContain("netlab", after, StringComparison.Ordinal);
        Assert.Equal(foreign, after);
    }

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.IptablesLegacy)]
    [InlineData(RuleBackend.Nftables)]
    public async Task The_kernel_tools_accept_the_full_payload_in_test_mode(RuleBackend backend)
    {
        var ns = _netns.Create("nlr");
        var applier = new ServiceRulesApplier(backend, ns);

        var plan = await applier.PlanAsync(Samples.All, Samples.NodeA);
        await applier.CheckAsync(plan); // iptables-restore --test / nft -c: throws CommandFailedException if refused

        Assert.True((await applier.PlanAsync(Samples.All, Samples.NodeA)).HasChanges); // test mode committed nothing
    }

    [PrivilegedFact]
    public async Task Iptables_nft_restore_test_accepts_a_jump_to_an_undefined_chain_which_is_why_netlab_checks_the_graph()
    {
        var ns = _netns.Create("nlr");
        const string payload = "*nat\n:NETLAB-A - [0:0]\n-A NETLAB-A -j NETLAB-MISSING\nCOMMIT\n";

        var test = await _run.TryRunAsync("ip", ["netns", "exec", ns, "iptables-nft-restore", "--test", "--noflush"], payload);
        var real = await _run.TryRunAsync("ip", ["netns", "exec", ns, "iptables-nft-restore", "--noflush"], payload);

        Assert.True(test.Succeeded, "iptables-nft-restore --test now refuses an undefined jump target; the chain-graph check remains useful");
        Assert.False(real.Succeeded);
    }

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.Nftables)]
    public async Task Headless_and_ExternalName_services_are_reported_as_DNS_only(RuleBackend backend)
    {
        var ns = _netns.Create("nlr");

        var result = await new ServiceRulesApplier(backend, ns).ApplyAsync(new ServiceTable([Samples.Headless, Samples.External, Samples.Web]), Samples.NodeA);

        Assert.Equal(["default/db", "default/ext"], result.DnsOnlyServices.Order());
        Assert.Contains("default/db: DNS-only", result.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => _netns.Dispose();
}
