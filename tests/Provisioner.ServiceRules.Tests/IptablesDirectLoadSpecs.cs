using Provisioner.Host.Netlink;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;
using Provisioner.Testing;

namespace Provisioner.ServiceRules.Tests;

/// <summary>An iptables-nft first sync written as one nf_tables batch over netlink (IptablesDirectLoad): the kernel
/// then holds, byte for byte, what iptables-nft-restore 1.8.9 makes of the same payload, beside foreign rules it leaves
/// alone; a refused message leaves nothing.</summary>
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
        var plan = await new ServiceRulesApplier(RuleBackend.Iptables, tool).PlanAsync(Mixed, Samples.NodeA);
        Assert.NotNull(IptablesDirectLoad.Encode(plan.Script, NfTablesRuleBatch.Chains("/run/netns/" + tool)));
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
        var actual = NfTablesRuleBatch.Rules("/run/netns/" + direct);
        Assert.True(expected.Count > 50, $"{expected.Count} rules");
        Assert.Equal(expected.Select(r => (r.Table, r.Chain, Convert.ToHexString(r.Attributes))), actual.Select(r => (r.Table, r.Chain, Convert.ToHexString(r.Attributes))));
        var save = Save(tool);
        Assert.Contains("-m recent --set --name", save, StringComparison.Ordinal);
        Assert.Contains(":FORWARD DROP", save, StringComparison.Ordinal);
        Assert.Contains("-A POSTROUTING -s 172.17.0.0/16 -j MASQUERADE", save, StringComparison.Ordinal);
        Assert.Equal(save, Save(direct));
    }

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
        var script = "*nat\n:NETLAB-A - [0:0]\n-I PREROUTING 1 -m comment --comment \"portals\" -j NETLAB-A\n-S\n"
            + "-A NETLAB-A -m comment --comment \"fine\" -j RETURN\n-A NETLAB-A -m comment --comment \"broken\" -j NETLAB-MISSING\nCOMMIT\n";
        var load = IptablesDirectLoad.Encode(script, new Dictionary<string, HashSet<string>>())!;

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
        var load = IptablesDirectLoad.TryCreate("*nat\n:NETLAB-A - [0:0]\n-I PREROUTING 1 -j NETLAB-A\n-S\n-A NETLAB-A -j RETURN\nCOMMIT\n", path)!;
        var foreign = _netns.Exec(ns, "iptables-nft", "-t", "nat", "-A", "PREROUTING", "-s", "10.1.2.3/32", "-j", "RETURN"); // another writer
        Assert.True(foreign.Succeeded, foreign.StandardError);

        var failure = Assert.Throws<IptablesLoadException>(() => load.Run(path));

        Assert.Contains("the ruleset changed after netlab read it", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(NfTablesRuleBatch.Chains(path)["nat"], c => c.StartsWith("NETLAB-", StringComparison.Ordinal));
        Assert.Equal(["-A PREROUTING -s 10.1.2.3/32 -j RETURN"], _netns.Exec(ns, "iptables-nft-save", "-t", "nat").StandardOutput.Split('\n').Where(l => l.StartsWith("-A", StringComparison.Ordinal)));
    }

    public void Dispose() => _netns.Dispose();
}
