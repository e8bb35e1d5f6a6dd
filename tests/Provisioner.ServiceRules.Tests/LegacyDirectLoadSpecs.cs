using Provisioner.Host.Netfilter;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Iptables;
using Provisioner.ServiceRules.Iptables.Legacy;
using Provisioner.ServiceRules.Model;
using Provisioner.Testing;

namespace Provisioner.ServiceRules.Tests;

/// <summary>A first iptables-legacy sync into empty tables is written as x_tables images (LegacyDirectLoad): the
/// kernel then holds byte for byte what iptables-legacy-restore makes of the same payload; anything else goes to the tool.</summary>
[Collection(PrivilegedCollection.Name)]
public sealed class LegacyDirectLoadSpecs : IDisposable
{
    private readonly TestNetns _netns = new();

    /// <summary>Node ports, affinity, local traffic policy, external IPs, UDP, services without endpoints, and 20
    /// services as the benchmark builds them.</summary>
    private static ServiceTable Mixed => new([.. Samples.All.Services, RemoteOnly,
        .. Samples.Many(20).Services.Select((s, i) => s with { ClusterIP = $"10.96.200.{i + 1}" })]);

    /// <summary>Local traffic policy with every endpoint on another node: DROP rules.</summary>
    private static Service RemoteOnly => Samples.LocalLb with
    {
        Name = "remote-only",
        ClusterIP = "10.96.0.15",
        Ports = [new ServicePort("http", 80, 8080, NodePort: 30082)],
        LoadBalancerIPs = ["203.0.113.11"],
        ExternalIPs = [],
        Endpoints = [new("10.244.2.3", "node-b")],
    };

    [PrivilegedFact]
    public async Task A_first_sync_leaves_the_entries_iptables_legacy_restore_leaves_byte_for_byte()
    {
        var (tool, direct) = (_netns.Create("nlx"), _netns.Create("nlx"));
        var plan = await new ServiceRulesApplier(RuleBackend.IptablesLegacy, tool).PlanAsync(Mixed, Samples.NodeA);
        var script = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(script, plan.Script);
            var loaded = _netns.Exec(tool, "iptables-legacy-restore", "--noflush", script);
            Assert.True(loaded.Succeeded, loaded.StandardError);
        }
        finally
        {
            File.Delete(script);
        }

        var applied = await new ServiceRulesApplier(RuleBackend.IptablesLegacy, direct).ApplyAsync(Mixed, Samples.NodeA);

        Assert.StartsWith(LegacyDirectLoad.Writer, applied.Writer, StringComparison.Ordinal);
        foreach (var table in IptablesRuleset.Tables)
        {
            var (expected, actual) = (Read(tool, table), Read(direct, table));
            Assert.Equal((expected.ValidHooks, expected.EntryCount), (actual.ValidHooks, actual.EntryCount));
            Assert.Equal(expected.HookEntry, actual.HookEntry);
            Assert.Equal(expected.Underflow, actual.Underflow);
            Assert.Equal(Convert.ToHexString(expected.Entries), Convert.ToHexString(actual.Entries));
        }
        var save = Save(tool);
        foreach (var shape in (string[])["-m recent --rcheck", "-m statistic", "-j REJECT", "-p udp", "--random-fully", "-j DROP", "--dst-type LOCAL"])
            Assert.Contains(shape, save, StringComparison.Ordinal);
        Assert.Equal(save, Save(direct));
    }

    [PrivilegedFact]
    public async Task The_engine_writes_a_first_sync_directly_and_a_second_sync_finds_nothing()
    {
        var ns = _netns.Create("nlx");
        using var engine = new ServiceRulesEngine(RuleBackend.IptablesLegacy, ns);

        var first = await engine.SyncAsync(Mixed, Samples.NodeA);
        var reread = await new ServiceRulesApplier(RuleBackend.IptablesLegacy, ns).PlanAsync(Mixed, Samples.NodeA);
        var changed = await engine.SyncAsync(new ServiceTable([.. Mixed.Services.Where(s => s.Name != "empty")]), Samples.NodeA);

        Assert.StartsWith(LegacyDirectLoad.Writer, first.Writer, StringComparison.Ordinal);
        Assert.False(reread.HasChanges, reread.Describe());
        Assert.True(changed.Applied);
        Assert.StartsWith("iptables-legacy-restore", changed.Writer, StringComparison.Ordinal); // not a first sync: the tool
        Assert.DoesNotContain("empty has no endpoints", Save(ns), StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public async Task A_table_holding_other_rules_is_left_to_the_tool_and_they_survive()
    {
        var ns = _netns.Create("nlx");
        Assert.True(_netns.Exec(ns, "iptables-legacy", "-t", "nat", "-A", "POSTROUTING", "-s", "192.0.2.0/24", "-j", "MASQUERADE").Succeeded);
        Assert.True(_netns.Exec(ns, "iptables-legacy", "-N", "FOREIGN").Succeeded);
        Assert.True(_netns.Exec(ns, "iptables-legacy", "-A", "FOREIGN", "-p", "tcp", "--dport", "22", "-j", "ACCEPT").Succeeded);

        var applied = await new ServiceRulesApplier(RuleBackend.IptablesLegacy, ns).ApplyAsync(Mixed, Samples.NodeA);

        Assert.StartsWith("iptables-legacy-restore (table nat is not empty", applied.Writer, StringComparison.Ordinal);
        var save = Save(ns);
        Assert.Contains("-A POSTROUTING -s 192.0.2.0/24 -j MASQUERADE", save, StringComparison.Ordinal);
        Assert.Contains("-A FOREIGN -p tcp -m tcp --dport 22 -j ACCEPT", save, StringComparison.Ordinal);
        Assert.Contains("-j NETLAB-SERVICES", save, StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public void A_rule_it_has_no_encoding_for_writes_nothing_and_says_which()
    {
        var ns = _netns.Create("nlx");
        var ruleset = new IptablesRuleset([new("nat", "NETLAB-X", ["-A NETLAB-X -m limit --limit 5/sec -j RETURN"])], []);

        var why = LegacyDirectLoad.TryLoad(ruleset, "/run/netns/" + ns, TimeSpan.FromSeconds(5));

        Assert.Contains("match -m limit", why, StringComparison.Ordinal);
        Assert.Equal(5u, Read(ns, "nat").EntryCount); // four empty built-in chains and the end
    }

    [PrivilegedFact]
    public void A_second_table_the_kernel_refuses_puts_the_first_back_empty()
    {
        var ns = _netns.Create("nlx");
        var ruleset = new IptablesRuleset(
        [
            new("nat", "NETLAB-N", ["-A NETLAB-N -j RETURN"]),
            new("filter", "NETLAB-F", ["-A NETLAB-F -j DNAT --to-destination 10.0.0.1:80"]), // DNAT is nat's only
        ], [new("filter", "-A INPUT -j NETLAB-F")]);

        var failure = Assert.Throws<XtablesException>(() => LegacyDirectLoad.TryLoad(ruleset, "/run/netns/" + ns, TimeSpan.FromSeconds(5)));

        Assert.Contains("IPT_SO_SET_REPLACE of table filter", failure.Message, StringComparison.Ordinal);
        Assert.Contains("table nat, already replaced, was put back", failure.Message, StringComparison.Ordinal);
        Assert.Equal(5u, Read(ns, "nat").EntryCount);
        Assert.Equal(4u, Read(ns, "filter").EntryCount);
    }

    private static XtablesTable Read(string ns, string table) =>
        XtablesLegacy.WithSession("/run/netns/" + ns, TimeSpan.FromSeconds(5), s => s.Read(table));

    /// <summary>iptables-legacy-save without its comment lines (they carry the time).</summary>
    private string Save(string ns) => string.Join('\n', _netns.Exec(ns, "iptables-legacy-save").StandardOutput.Split('\n').Where(l => !l.StartsWith('#')));

    public void Dispose() => _netns.Dispose();
}
