using System.Net;
using Provisioner.Core.Verification;
using Provisioner.Host.Processes;
using Provisioner.Netns;
using Provisioner.Netns.Verify;
using Provisioner.Observability.Drills;
using Provisioner.Observability.Trace;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Observability.Tests;

/// <summary>
/// Each drill on one real lab (shared by the class): verify names the broken layer, trace packet shows where the
/// probe dies, and <c>up</c> (for what netlab owns) or <c>drill stop</c> repairs it, so the next drill starts clean.
/// </summary>
[Collection(PrivilegedCollection.Name)]
public sealed class DrillSpecs(LabFixture lab) : IClassFixture<LabFixture>
{
    private async Task<IReadOnlyList<VerifyCheck>> VerifyAsync()
    {
        var pods = NetnsLabBuilder.PodReconciler(lab.Lab!.Plan, new NetnsOptions { CniPluginDirectory = AppContext.BaseDirectory }, ProcessRunner.Default, lab.Lab.Layout);
        return await new LabVerifier(lab.Lab.Plan, lab.Lab.Layout, new Probe(ProcessRunner.Default),
            pod => pods.AddressOf(pod) is { } a ? IPAddress.Parse(a) : null).RunAsync();
    }

    private static string Failed(IEnumerable<VerifyCheck> checks) =>
        string.Join("\n", checks.Where(c => !c.Passed).Select(c => $"{c.Layer} {c.Name}: {c.Detail}"));

    [PrivilegedTheory]
    [InlineData("lost-route", Layer.Fabric)]
    [InlineData("tunnel-mtu", Layer.Underlay)]
    [InlineData("rp-filter", Layer.Fabric)]
    [InlineData("bridge-netfilter", Layer.NodeBridge)]
    [InlineData("conntrack-full", Layer.Conntrack)]
    [InlineData("service-blackhole", Layer.ServiceRules)]
    [InlineData("stale-udp", Layer.ServiceRules)]
    [InlineData("resolv-conf", Layer.Dns)]
    [InlineData("policy-blocks-dns", Layer.Policy)]
    public async Task Verify_names_the_layer_a_drill_broke_trace_packet_shows_where_the_probe_dies_and_the_lab_is_repaired(string name, Layer layer)
    {
        var runner = new DrillRunner(lab.Lab!, ProcessRunner.Default);
        try
        {
            var drill = await runner.StartAsync(name);
            Assert.DoesNotContain(drill.Layer, drill.Symptom, StringComparison.OrdinalIgnoreCase); // the symptom, not the cause
            Assert.Equal(layer.ToString(), drill.Layer);

            var checks = await VerifyAsync();
            Assert.True(VerifyCheck.FirstBroken(checks)?.Layer == layer, $"wanted {layer} first; failed:\n{Failed(checks)}");

            var trace = await TraceAsync(name);
            Assert.False(trace.Delivered, Traces.Describe(trace));
            AssertDiesWhere(name, trace);

            if (drill.UpRepairs)
                await lab.Lab!.UpAsync(); // netlab's own state: up alone repairs it, before drill stop undoes anything
        }
        finally
        {
            await runner.StopAsync();
        }
        var after = await VerifyAsync();
        Assert.True(after.All(c => c.Passed), Failed(after));
        Assert.Null(runner.Active);
    }

    private IPAddress ClusterDnsAddress => lab.Lab!.Plan.Addresses.ClusterDns;

    /// <summary>The probe a learner would send for the drill's symptom.</summary>
    private Task<PacketTrace> TraceAsync(string drill) => drill switch
    {
        "lost-route" => Traces.RunAsync(lab, "web-2", "web-1"),
        "tunnel-mtu" => Traces.RunAsync(lab, "web-2", "web-1", ProbeProtocol.Icmp, size: lab.Lab!.Plan.Addresses.PodMtu),
        "bridge-netfilter" => Traces.RunAsync(lab, "client", $"{ClusterDnsAddress}:53", ProbeProtocol.Udp),
        "stale-udp" => Traces.RunAsync(lab, "web-2", $"{ClusterDnsAddress}:53", ProbeProtocol.Udp, sourcePort: LabVerifier.StableUdpPort),
        "resolv-conf" => Traces.RunAsync(lab, "web-1", "web.default.svc.cluster.local"),
        "rp-filter" => Traces.RunAsync(lab, "outside", "web-1"),
        "policy-blocks-dns" => Traces.RunAsync(lab, "client", $"{ClusterDnsAddress}:53", ProbeProtocol.Udp),
        _ => Traces.RunAsync(lab, "client", "web"),
    };

    private void AssertDiesWhere(string drill, PacketTrace trace)
    {
        var hops = Traces.Describe(trace);
        var drop = trace.Hops.FirstOrDefault(h => h.Where.EndsWith("kernel drop", StringComparison.Ordinal));
        Assert.True(drop is not null, $"no kernel drop hop in:\n{hops}");
        switch (drill)
        {
            case "lost-route":
                Assert.Equal("no route", Traces.Hop(trace, "node cp1 route").What);
                Assert.Equal("node cp1 kernel drop", drop.Where);
                break;
            case "tunnel-mtu": // the encapsulated frame is refused on its way from cp1 into the underlay
                Assert.Equal("node cp1 kernel drop", drop.Where);
                Assert.Contains("MTU", drop.What, StringComparison.Ordinal);
                break;
            case "bridge-netfilter": // the DNS pod's reply reaches the client from the pod's own address, which it never asked
                Assert.StartsWith("DNAT chose 10.244.0.", Traces.Hop(trace, "node cp1 conntrack").What, StringComparison.Ordinal);
                Assert.Equal("pod client kernel drop", drop.Where);
                Assert.Contains("NO_SOCKET", drop.What, StringComparison.Ordinal);
                break;
            case "conntrack-full":
                Assert.Contains("the table is full", Traces.Hop(trace, "node cp1 conntrack").What, StringComparison.Ordinal);
                Assert.Equal("node cp1 kernel drop", drop.Where);
                Assert.Contains("NETFILTER_DROP", drop.What, StringComparison.Ordinal);
                break;
            case "service-blackhole":
                Assert.Contains("DROP", Traces.Hop(trace, "node cp1 netfilter").What, StringComparison.Ordinal);
                Assert.Contains("NETFILTER_DROP", drop.What, StringComparison.Ordinal);
                break;
            case "stale-udp": // the flow follows its old entry to an address nobody has
                var stale = lab.Lab!.Plan.Addresses.Node("cp1").RangeEnd;
                Assert.StartsWith($"DNAT chose {stale}:53", Traces.Hop(trace, "node cp1 conntrack").What, StringComparison.Ordinal);
                Assert.Equal("node cp1 kernel drop", drop.Where);
                break;
            case "rp-filter": // FROM=outside: in through cp1 and the tunnel, dropped at w1 by the reverse-path check
                Assert.Equal("node w1 kernel drop", drop.Where);
                Assert.Contains("IP_RPFILTER", drop.What, StringComparison.Ordinal);
                break;
            case "policy-blocks-dns": // client's egress chain on its node rejects the query, after the DNAT to the DNS pod
                Assert.Contains("REJECT (isolated by default/client-egress)", Traces.Hop(trace, "node cp1 netfilter").What, StringComparison.Ordinal);
                Assert.Equal("node cp1 kernel drop", drop.Where);
                break;
            case "resolv-conf":
                Assert.Contains("does not resolve", Traces.Hop(trace, "web-1 DNS lookup").What, StringComparison.Ordinal);
                Assert.Equal("node w1 kernel drop", drop.Where);
                break;
        }
    }
}
