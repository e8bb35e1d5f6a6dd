using Provisioner.Host.Netlink;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;
using Provisioner.Testing;

namespace Provisioner.ServiceRules.Tests;

/// <summary>An iptables-nft first sync written as one nf_tables batch over netlink (IptablesDirectLoad): iptables-nft
/// then reads back exactly what iptables-nft-restore 1.8.9 makes of the same payload (and, comments as xt matches, the
/// kernel holds it byte for byte), beside foreign rules it leaves alone; a refused message leaves nothing.</summary>
[Collection(PrivilegedCollection.Name)]
public sealed class IptablesDirectLoadSpecs : IDisposable
{
    private readonly TestNetns _netns = new();

    /// <summary>Node ports, affinity, local traffic policy, external IPs, services without endpoints, and 20 services
    /// as the benchmark builds them.</summary>
    private static ServiceTable Mixed => new([.. Samples.All.Services,
        .. Samples.Many(20).Services.Select((s, i) => s with { ClusterIP = $"10.96.200.{i + 1}" })]);

    /// <summary>Rules of other owners, in both tables, and a built-in chain's policy that must stay DROP.</summary>
    private void AddForeignRules(string ns)
    {
        foreach (var command in new[]
        {
            new[] { "iptables-nft", "-t", "nat", "-A", "POSTROUTING", "-s", "172.17.0.0/16", "-j", "MASQUERADE" },
            ["iptables-nft", "-t", "filter", "-A", "FORWARD", "-i", "docker0", "-j", "ACCEPT"],
            ["iptables-nft", "-t", "filter", "-P", "FORWARD", "DROP"],
        })
        {
            var result = _netns.Exec(ns, command);
            Assert.True(result.Succeeded, result.StandardError);
        }
    }

    private string Save(string ns) => string.Join('\n', _netns.Exec(ns, "iptables-nft-save").StandardOutput
        .Split('\n').Where(l => !l.StartsWith('#')));

    [PrivilegedFact]
    public async Task A_first_sync_over_netlink_leaves_exactly_the_rules_iptables_nft_restore_makes()
    {
        var (tool, direct) = (_netns.Create("ipd"), _netns.Create("ipd"));
        AddForeignRules(tool);
        AddForeignRules(direct);
        var xt = _netns.Create("ipd");
        AddForeignRules(xt);
        var plan = await new ServiceRulesApplier(RuleBackend.Iptables, tool).PlanAsync(Mixed, Samples.NodeA);
        IptablesDirectLoad.Encode(plan.IptablesFirstLoad!, NfTablesRuleBatch.Chains("/run/netns/" + xt), commentsAsUserData: false)!.Run("/run/netns/" + xt);
        var script = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(script, plan.Script);
            var loaded = _netns.Exec(tool, "sh", "-c", $"iptables-nft-restore --noflush < {script}");
            Assert.True(loaded.Succeeded, loaded.StandardError);
        }
        finally
        {
            File.Delete(script);
        }

        var applied = await new ServiceRulesApplier(RuleBackend.Iptables, direct).ApplyAsync(Mixed, Samples.NodeA);

        Assert.True(applied.Applied);
        var expected = NfTablesRuleBatch.Rules("/run/netns/" + tool);
        var actual = NfTablesRuleBatch.Rules("/run/netns/" + xt);
        Assert.True(expected.Count > 50, $"{expected.Count} rules");
        // each chain's rules in order (the dump lists chains as they were created: the planner's order, or the ruleset's)
        static IEnumerable<(string, string, string)> ByChain(List<(string Table, string Chain, byte[] Attributes)> rules) =>
            rules.OrderBy(r => r.Table, StringComparer.Ordinal).ThenBy(r => r.Chain, StringComparer.Ordinal).Select(r => (r.Table, r.Chain, Convert.ToHexString(r.Attributes)));
        Assert.Equal(ByChain(expected), ByChain(actual));
        Assert.Equal(expected.Count, NfTablesRuleBatch.Rules("/run/netns/" + direct).Count);
        var save = Save(tool);
        Assert.Contains("-m recent --set --name", save, StringComparison.Ordinal);
        Assert.Contains(":FORWARD DROP", save, StringComparison.Ordinal);
        Assert.Contains("-A POSTROUTING -s 172.17.0.0/16 -j MASQUERADE", save, StringComparison.Ordinal);
        Assert.Equal(save, Save(direct));
        Assert.Equal(save, Save(xt));
        Assert.Contains("comment \"netlab service portals\"", _netns.Exec(direct, "nft", "list", "chain", "ip", "nat", "PREROUTING").StandardOutput, StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public async Task The_tool_finds_and_deletes_a_rule_whose_comment_the_direct_load_kept_as_userdata_by_its_text()
    {
        var ns = _netns.Create("ipd");
        var plan = await new ServiceRulesApplier(RuleBackend.Iptables, ns).PlanAsync(Mixed, Samples.NodeA);
        IptablesDirectLoad.Encode(plan.IptablesFirstLoad!, NfTablesRuleBatch.Chains("/run/netns/" + ns))!.Run("/run/netns/" + ns);
        var services = plan.IptablesFirstLoad!.Chains.Single(c => c.Key == "nat/NETLAB-SERVICES").Rules;
        var rule = services.First(r => r.Contains("-m tcp --dport", StringComparison.Ordinal) && r.Contains("-m comment", StringComparison.Ordinal));

        var check = _netns.Exec(ns, ["iptables-nft", "-t", "nat", "-C", .. Words(rule[3..])]);
        var delete = _netns.Exec(ns, ["iptables-nft", "-t", "nat", "-D", .. Words(rule[3..])]);

        Assert.True(check.Succeeded, check.StandardError);
        Assert.True(delete.Succeeded, delete.StandardError);
        var nat = _netns.Exec(ns, "iptables-nft-save", "-t", "nat").StandardOutput.Split('\n');
        Assert.DoesNotContain(rule, nat);
        Assert.Equal(services.Count - 1, nat.Count(l => l.StartsWith("-A NETLAB-SERVICES ", StringComparison.Ordinal)));
    }

    /// <summary>A rule's words as a shell would split it (a quoted comment is one word).</summary>
    private static string[] Words(string rule) =>
        [.. System.Text.RegularExpressions.Regex.Matches(rule, "\"[^\"]*\"|\\S+").Select(m => m.Value.Trim('"'))];

    [PrivilegedFact]
    public async Task The_engine_proves_its_direct_load_by_one_generation_and_a_second_sync_finds_nothing_to_do()
    {
        var ns = _netns.Create("ipd");
        using var engine = new ServiceRulesEngine(RuleBackend.Iptables, ns);

        var first = await engine.SyncAsync(Mixed, Samples.NodeA);
        var second = await engine.SyncAsync(Mixed, Samples.NodeA);

        Assert.NotNull(first.Generation); // moved by exactly the batch's one transaction
        Assert.Equal(first.AppliedFrom!.Value.Id + 1, first.Generation!.Value.Id);
        Assert.False(second.Plan.HasChanges, second.Plan.Describe());
        var reread = await new ServiceRulesApplier(RuleBackend.Iptables, ns).PlanAsync(Mixed, Samples.NodeA);
        Assert.False(reread.HasChanges, reread.Describe());
    }

    [PrivilegedFact]
    public void A_message_the_kernel_refuses_is_named_and_nothing_is_applied()
    {
        var ns = _netns.Create("ipd");
        var ruleset = new Iptables.IptablesRuleset(
            [new("nat", "NETLAB-A", ["-A NETLAB-A -m comment --comment \"fine\" -j RETURN", "-A NETLAB-A -m comment --comment \"broken\" -j NETLAB-MISSING"])],
            [new("nat", "-A PREROUTING -m comment --comment \"portals\" -j NETLAB-A")]);
        var load = IptablesDirectLoad.Encode(ruleset, new Dictionary<string, HashSet<string>>())!;

        var failure = Assert.Throws<IptablesLoadException>(() => load.Run("/run/netns/" + ns));

        Assert.Contains("-A NETLAB-A -m comment --comment \"broken\" -j NETLAB-MISSING", failure.Message, StringComparison.Ordinal);
        Assert.Contains("none of it was applied", failure.Message, StringComparison.Ordinal);
        Assert.Empty(NfTablesRuleBatch.Rules("/run/netns/" + ns));
        Assert.Empty(NfTablesRuleBatch.Chains("/run/netns/" + ns));
    }

    [PrivilegedFact]
    public void A_ruleset_changed_after_the_read_refuses_the_batch_by_its_generation()
    {
        var ns = _netns.Create("ipd");
        var path = "/run/netns/" + ns;
        var load = IptablesDirectLoad.TryCreate(new Iptables.IptablesRuleset([new("nat", "NETLAB-A", ["-A NETLAB-A -j RETURN"])], [new("nat", "-A PREROUTING -j NETLAB-A")]), path)!;
        var foreign = _netns.Exec(ns, "iptables-nft", "-t", "nat", "-A", "PREROUTING", "-s", "10.1.2.3/32", "-j", "RETURN"); // another writer
        Assert.True(foreign.Succeeded, foreign.StandardError);

        var failure = Assert.Throws<IptablesLoadException>(() => load.Run(path));

        Assert.Contains("the ruleset changed after netlab read it", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(NfTablesRuleBatch.Chains(path)["nat"], c => c.StartsWith("NETLAB-", StringComparison.Ordinal));
        Assert.Equal(["-A PREROUTING -s 10.1.2.3/32 -j RETURN"], _netns.Exec(ns, "iptables-nft-save", "-t", "nat").StandardOutput.Split('\n').Where(l => l.StartsWith("-A", StringComparison.Ordinal)));
    }

    public void Dispose() => _netns.Dispose();
}
