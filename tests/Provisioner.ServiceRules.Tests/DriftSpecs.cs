using Provisioner.Host.Processes;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Naming;
using Provisioner.Testing;

namespace Provisioner.ServiceRules.Tests;

/// <summary>
/// Every kind of hand-made change to what netlab owns, on the real kernel: a fresh engine (a new process, with the state
/// file the last one left) must see it, name it in its plan, and repair it; afterwards a kernel read plans nothing.
/// </summary>
[Collection(PrivilegedCollection.Name)]
public sealed class DriftSpecs : IDisposable
{
    private readonly TestNetns _netns = new();
    private readonly string _stateDirectory = Path.Combine(Path.GetTempPath(), "netlab-drift-" + Guid.NewGuid().ToString("N")[..8]);
    private static readonly string WebService = ChainNames.ServiceChain("default/web:http", "tcp");
    private static readonly string WebEndpoint = ChainNames.EndpointChain("default/web:http", "tcp", "10.244.1.2:8080");

    public static TheoryData<string, string, string> IptablesDrifts => new()
    {
        { "flushed chain", $"-t nat -F {WebService}", $"nat: -A {WebService}" },
        { "flushed table, chains deleted", "-t nat -F && IPT -t nat -X", $"chain nat/{WebEndpoint}" },
        { "deleted rule", $"-t nat -D {ChainNames.Services} 1", "nat: -A NETLAB-SERVICES" },
        { "added rule", $"-t nat -I {WebEndpoint} 1 -j ACCEPT", $"nat: -A {WebEndpoint} -j ACCEPT" },
        { "edited rule", $"-t nat -R {WebEndpoint} 2 -p tcp -j DNAT --to-destination 10.244.9.9:80", "10.244.9.9:80" },
        { "missing jump", "-t nat -D PREROUTING -m comment --comment \"netlab service portals\" -j NETLAB-SERVICES", "nat: -A PREROUTING" },
        { "changed jump", "-t filter -R INPUT 1 -j NETLAB-SERVICES", "filter: -A INPUT -j NETLAB-SERVICES" },
        { "deleted postrouting chain", "-t nat -F NETLAB-POSTROUTING && IPT -t nat -D POSTROUTING -m comment --comment \"netlab postrouting rules\" -j NETLAB-POSTROUTING && IPT -t nat -X NETLAB-POSTROUTING", "chain nat/NETLAB-POSTROUTING" },
    };

    public static TheoryData<string, string, string> NftDrifts => new()
    {
        { "flushed table", "flush table ip netlab", "chain prerouting: jump services (missing)" },
        { "deleted table", "delete table ip netlab", "table ip netlab" },
        { "deleted base chain", "delete chain ip netlab filter-output", "chain filter-output (missing)" },
        { "flushed chain", "flush chain ip netlab postrouting", "chain postrouting: meta mark" },
        { "added rule", "add rule ip netlab services counter accept", "chain services: counter" },
        { "missing jump from a base chain", "flush chain ip netlab prerouting", "chain prerouting: jump services (missing)" },
        { "changed jump from a base chain", "flush chain ip netlab output; add rule ip netlab output jump reject-services", "chain output: jump reject-services (not netlab's)" },
        { "deleted set", "flush chain ip netlab reject-services; delete set ip netlab no-endpoint-nodeports", "set no-endpoint-nodeports (missing)" },
        { "added chain", "add chain ip netlab sneaky", "chain sneaky (not netlab's)" },
        { "flushed set", "flush set ip netlab hairpin", "hairpin: 10.244.1.2 . 10.244.1.2" },
        { "flushed map", "flush map ip netlab service-endpoints", "service-endpoints: 10.96.0.10 . tcp . 80 . 0" },
        { "deleted element", "delete element ip netlab service-ips { 10.96.0.10 . tcp . 80 }", "service-ips: 10.96.0.10 . tcp . 80" },
        { "added element", "add element ip netlab cluster-ips { 10.96.9.9 . tcp . 80 }", "cluster-ips: 10.96.9.9 . tcp . 80" },
        { "edited element", "delete element ip netlab service-endpoints { 10.96.0.10 . tcp . 80 . 0 }; add element ip netlab service-endpoints { 10.96.0.10 . tcp . 80 . 0 : 10.244.9.9 . 80 }", "10.244.9.9 . 80" },
    };

    [PrivilegedTheory]
    [MemberData(nameof(IptablesDrifts))]
    public async Task A_hand_made_iptables_nft_change_is_seen_named_and_repaired(string drift, string command, string named) =>
        await SeenNamedAndRepaired(RuleBackend.Iptables, drift, "iptables-nft " + command.Replace("IPT", "iptables-nft", StringComparison.Ordinal), named);

    [PrivilegedTheory]
    [MemberData(nameof(IptablesDrifts))]
    public async Task A_hand_made_iptables_legacy_change_is_seen_named_and_repaired(string drift, string command, string named) =>
        await SeenNamedAndRepaired(RuleBackend.IptablesLegacy, drift, "iptables-legacy " + command.Replace("IPT", "iptables-legacy", StringComparison.Ordinal), named);

    [PrivilegedTheory]
    [MemberData(nameof(NftDrifts))]
    public async Task A_hand_made_nftables_change_is_seen_named_and_repaired(string drift, string command, string named) =>
        await SeenNamedAndRepaired(RuleBackend.Nftables, drift, $"nft '{command}'", named);

    private async Task SeenNamedAndRepaired(RuleBackend backend, string drift, string shell, string named)
    {
        var ns = _netns.Create("nld");
        var options = new ServiceRulesEngineOptions { StateFile = Path.Combine(_stateDirectory, ns + ".state") };
        using (var first = new ServiceRulesEngine(backend, ns, options))
            Assert.True((await first.SyncAsync(Samples.All, Samples.NodeA)).Applied);
        using (var unchanged = new ServiceRulesEngine(backend, ns, options))
            Assert.False((await unchanged.PlanAsync(Samples.All, Samples.NodeA)).Plan.HasChanges);

        var result = _netns.Exec(ns, "sh", "-c", shell);
        Assert.True(result.Succeeded, $"{drift}: {shell}: {result.StandardError}");

        using var next = new ServiceRulesEngine(backend, ns, options);
        var plan = await next.PlanAsync(Samples.All, Samples.NodeA);
        Assert.Equal(SyncKind.Full, plan.Kind);
        Assert.True(plan.Plan.HasChanges, $"{drift} was not seen");
        Assert.Contains(plan.Plan.Changes, c => c.Text.Contains(named, StringComparison.Ordinal));
        Assert.True((await next.SyncAsync(Samples.All, Samples.NodeA)).Applied);
        var after = await new ServiceRulesApplier(backend, ns).PlanAsync(Samples.All, Samples.NodeA);
        Assert.False(after.HasChanges, $"after repairing {drift}: " + after.Describe(10));
    }

    public void Dispose()
    {
        _netns.Dispose();
        if (Directory.Exists(_stateDirectory))
            Directory.Delete(_stateDirectory, recursive: true);
    }
}
