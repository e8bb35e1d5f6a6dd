using Provisioner.Host.Processes;
using Provisioner.Observability.Trace;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Observability.Tests;

/// <summary>Shared by the trace specs of each rule backend: trace, then check that no trace table was left behind.</summary>
internal static class Traces
{
    public static async Task<PacketTrace> RunAsync(LabFixture lab, string from, string to, ProbeProtocol protocol = ProbeProtocol.Tcp,
        int? sourcePort = null, int? size = null)
    {
        var layout = lab.Lab!.Layout;
        var pods = Netns.NetnsLabBuilder.PodReconciler(lab.Lab.Plan, new Netns.NetnsOptions { CniPluginDirectory = AppContext.BaseDirectory }, ProcessRunner.Default, layout);
        var probe = ProbeSpec.Resolve(lab.Lab.Plan, layout, pods.AddressOf, from, to, protocol, sourcePort,
            (netns, name) => ProbeSpec.Dig(ProcessRunner.Default, netns, name)) with { Size = size };
        var trace = await new PacketTracer(lab.Lab.Plan, layout, ProcessRunner.Default).TraceAsync(probe);
        foreach (var node in lab.Lab.Plan.Lab.Nodes)
            Assert.DoesNotContain("netlab-trace", ProcessRunner.Default.Run("ip", "netns", "exec", layout.NodeNamespace(node.Name), "nft", "list", "tables"), StringComparison.Ordinal);
        return trace;
    }

    public static TraceHop Hop(PacketTrace trace, string where) =>
        trace.Hops.FirstOrDefault(h => h.Where == where) ?? throw new Xunit.Sdk.XunitException($"no hop '{where}' in:\n{Describe(trace)}");

    public static string Describe(PacketTrace trace) =>
        string.Join("\n", trace.Hops.Select(h => $"{h.Where}: {h.What}\n  " + string.Join("\n  ", h.Lines))) + "\n=> " + trace.Outcome;
}

[Collection(PrivilegedCollection.Name)]
public sealed class TracePacketIptablesSpecs(LabFixture lab) : IClassFixture<LabFixture>
{
    [PrivilegedFact]
    public async Task A_probe_to_a_service_shows_the_pod_route_the_iptables_rules_the_DNAT_choice_and_its_delivery()
    {
        var trace = await Traces.RunAsync(lab, "client", "web");

        Assert.True(trace.Delivered, Traces.Describe(trace));
        Assert.Contains("via 10.244.0.1 dev eth0", Traces.Hop(trace, "client route").Lines[0], StringComparison.Ordinal);
        var rules = Traces.Hop(trace, "node cp1 netfilter").Lines;
        Assert.Contains(rules, l => l.Contains("nat:NETLAB-SERVICES:rule", StringComparison.Ordinal) && l.Contains("\"default/web cluster IP\"", StringComparison.Ordinal));
        Assert.Contains(rules, l => l.Contains("-j DNAT --to-destination 10.244.", StringComparison.Ordinal));
        Assert.Matches(@"^DNAT chose 10\.244\.\d+\.\d+:8080", Traces.Hop(trace, "node cp1 conntrack").What);
        Assert.StartsWith("answered: web-", trace.Outcome, StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public async Task A_probe_to_a_pod_on_another_node_shows_the_tunnel_the_FDB_entry_and_the_remote_node_rules()
    {
        var trace = await Traces.RunAsync(lab, "client", "web-1");

        Assert.True(trace.Delivered, Traces.Describe(trace));
        Assert.Contains("dev netlab-vxlan", Traces.Hop(trace, "node cp1 route").Lines[0], StringComparison.Ordinal);
        Assert.Contains(Traces.Hop(trace, "node cp1 VXLAN").Lines, l => l.Contains("dst 192.168.64.12", StringComparison.Ordinal)); // w1's underlay address
        Assert.Contains(Traces.Hop(trace, "node w1 netfilter").Lines, l => l.Contains("filter:FORWARD", StringComparison.Ordinal));
    }

    [PrivilegedFact]
    public async Task A_DROP_rule_in_front_of_the_service_is_where_the_trace_ends_and_the_probe_is_not_delivered()
    {
        var node = lab.Lab!.Layout.NodeNamespace("cp1");
        string[] rule = ["-p", "tcp", "--dport", "8080", "-m", "comment", "--comment", "netlab test drop", "-j", "DROP"];
        ProcessRunner.Default.Run("ip", ["netns", "exec", node, "iptables-nft", "-t", "filter", "-I", "FORWARD", "1", .. rule]);
        try
        {
            var trace = await Traces.RunAsync(lab, "client", "web");

            Assert.False(trace.Delivered, Traces.Describe(trace));
            var hop = Traces.Hop(trace, "node cp1 netfilter");
            Assert.True(hop.What.Contains("DROP", StringComparison.Ordinal), Traces.Describe(trace));
            Assert.Contains("netlab test drop", hop.Lines[^1], StringComparison.Ordinal);
        }
        finally
        {
            ProcessRunner.Default.Run("ip", ["netns", "exec", node, "iptables-nft", "-t", "filter", "-D", "FORWARD", .. rule]);
        }
    }
}

[Collection(PrivilegedCollection.Name)]
public sealed class TracePacketNftablesSpecs(RoutedNftablesLab lab) : IClassFixture<RoutedNftablesLab>
{
    [PrivilegedFact]
    public async Task A_probe_to_a_service_shows_the_nftables_map_lookups_the_DNAT_choice_and_the_routed_next_hop()
    {
        var trace = await Traces.RunAsync(lab, "client", "web");

        Assert.True(trace.Delivered, Traces.Describe(trace));
        var rules = Traces.Hop(trace, "node cp1 netfilter").Lines;
        Assert.Contains(rules, l => l.StartsWith("netlab services: rule", StringComparison.Ordinal) && l.Contains("vmap @service-ips", StringComparison.Ordinal));
        Assert.Contains(rules, l => l.StartsWith("netlab pick-2: rule", StringComparison.Ordinal) && l.Contains("map @service-endpoints", StringComparison.Ordinal));
        Assert.Matches(@"^DNAT chose 10\.244\.\d+\.\d+:8080", Traces.Hop(trace, "node cp1 conntrack").What);
    }

    [PrivilegedFact]
    public async Task The_policy_blocks_dns_drill_on_nftables_ends_the_query_in_the_policy_table_s_reject_and_up_removes_it()
    {
        var runner = new Drills.DrillRunner(lab.Lab!, ProcessRunner.Default);
        try
        {
            await runner.StartAsync("policy-blocks-dns");
            var pods = Netns.NetnsLabBuilder.PodReconciler(lab.Lab!.Plan, new Netns.NetnsOptions { CniPluginDirectory = AppContext.BaseDirectory }, ProcessRunner.Default, lab.Lab.Layout);
            var checks = await new Netns.Verify.LabVerifier(lab.Lab.Plan, lab.Lab.Layout, new Netns.Verify.Probe(ProcessRunner.Default),
                p => pods.AddressOf(p) is { } a ? System.Net.IPAddress.Parse(a) : null).RunAsync();
            var first = Core.Verification.VerifyCheck.FirstBroken(checks);
            Assert.True(first?.Layer == Core.Verification.Layer.Policy, string.Join("\n", checks.Where(c => !c.Passed).Select(c => $"{c.Layer} {c.Name}: {c.Detail}")));
            Assert.Contains("isolate client though no policy of the stack selects it", first!.Detail, StringComparison.Ordinal);

            var trace = await Traces.RunAsync(lab, "client", "kube-dns:53", ProbeProtocol.Udp); // the service by name, as a learner types it
            Assert.False(trace.Delivered, Traces.Describe(trace));
            Assert.Contains("REJECT (isolated by default/client-egress)", Traces.Hop(trace, "node cp1 netfilter").What, StringComparison.Ordinal);
            Assert.Contains("nft list table ip netlab-policy", Traces.Hop(trace, "node cp1 netfilter").LookWith, StringComparison.Ordinal);
        }
        finally
        {
            await runner.StopAsync();
        }
        Assert.Empty(await lab.Lab!.PlanAsync());
    }

    [PrivilegedFact]
    public async Task A_ping_to_a_pod_on_another_node_goes_by_the_routed_fabric_s_route_to_that_node()
    {
        var trace = await Traces.RunAsync(lab, "client", "web-1", ProbeProtocol.Icmp);

        Assert.True(trace.Delivered, Traces.Describe(trace));
        Assert.Contains("via 192.168.64.12", Traces.Hop(trace, "node cp1 route").Lines[0], StringComparison.Ordinal);
        Assert.Contains(Traces.Hop(trace, "node w1 netfilter").Lines, l => l.Contains("policy accept", StringComparison.Ordinal) || l.Contains("rule", StringComparison.Ordinal));
    }
}

[Collection(PrivilegedCollection.Name)]
public sealed class TracePacketOvsSpecs(OvsIptablesLab lab) : IClassFixture<OvsIptablesLab>
{
    [PrivilegedFact]
    public async Task A_probe_to_a_pod_on_another_node_shows_the_OpenFlow_rule_that_sends_it_into_the_tunnel()
    {
        var trace = await Traces.RunAsync(lab, "client", "web-1");

        Assert.True(trace.Delivered, Traces.Describe(trace));
        var ovs = Traces.Hop(trace, "node cp1 OVS");
        Assert.Equal("OpenFlow: tunneling to 192.168.64.12 via netlab-ul", ovs.What);
        Assert.Contains(ovs.Lines, l => l.Contains("in_port=LOCAL,nw_dst=10.244.1.0/24", StringComparison.Ordinal)); // netlab's route flow to w1's pods
        Assert.Contains("ofproto/trace netlab0", ovs.LookWith, StringComparison.Ordinal);
    }
}
