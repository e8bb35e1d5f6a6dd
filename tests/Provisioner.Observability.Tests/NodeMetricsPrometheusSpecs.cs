using Provisioner.Core.Planning;
using Provisioner.Deploy.Multipass;
using Provisioner.Host.Iproute;
using Provisioner.Host.Processes;
using Provisioner.Netns.Verify;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Observability.Tests;

/// <summary>
/// The VM lab's node exporter, proven on a netns lab: the command line of the <c>netlab-metrics</c> unit a VM node
/// gets, run inside node cp1's namespace with <c>ip netns exec</c> (so it sees only what a VM would: its own
/// namespace and rules, no stack file), listening on the node's address; a real Prometheus on the lab's outside
/// client (the host beside the VMs) scrapes that address, found in the file_sd targets <c>netlab metrics targets</c>
/// wrote, while a pod on cp1 calls a service.
/// </summary>
[Collection(PrivilegedCollection.Name)]
public sealed class NodeMetricsPrometheusSpecs(LabFixture lab) : IClassFixture<LabFixture>
{
    private const int Requests = 8;

    [PrivilegedFact]
    public async Task Prometheus_scraping_a_node_exporter_at_the_nodes_address_sees_its_service_endpoint_conntrack_and_interface_counters_rise()
    {
        var plan = lab.Lab!.Plan;
        var node = lab.Lab.Layout.NodeNamespace("cp1");
        var address = plan.Addresses.Nodes.Single(n => n.Node.Name == "cp1").UnderlayAddress;
        var unitCommand = ExecStart(ExporterSteps.Render(plan, "cp1"));
        Assert.Equal(["metrics", "--node", "cp1", "--namespace", node, "--proxy-mode", "iptables", "--listen", "0.0.0.0:9108"], unitCommand[1..]);

        await using var exporter = new StreamedProcess(NetnsExec.Ip, NetnsExec.Arguments(node, LabFixture.Netlab, unitCommand[1..]));
        // The scrape targets as `netlab metrics targets` writes them for file_sd_configs: every node's address and port.
        var targets = Path.Combine(lab.Directory, "targets.json");
        using (var output = new StringWriter())
        using (var error = new StringWriter())
            Assert.True(await Cli.NetlabCli.RunAsync(["metrics", "targets", "--stack", lab.StackPath, "--backend", "netns", "--out", targets], output, error) == 0, error.ToString());
        Assert.Contains($"\"{address}:9108\"", await File.ReadAllTextAsync(targets), StringComparison.Ordinal);
        await using var prometheus = new PrometheusServer(targets, netns: lab.Lab.Layout.OutsideNamespace);
        var up = await prometheus.WaitForAsync("up{job=\"netlab\",lab_node=\"cp1\"}", v => v == 1, TimeSpan.FromSeconds(60));
        Assert.True(up == 1, $"Prometheus never scraped {address}:9108 (up = {up}).\nnetlab: {exporter.Log}\nprometheus: {prometheus.Log}");

        const string connections = "sum(netlab_service_rule_packets_total{node=\"cp1\",service=\"default/web\",frontend=\"cluster IP\"})";
        const string hits = "sum(netlab_endpoint_hits_total{node=\"cp1\",service=\"default/web\"})";
        var tunnel = $"sum(netlab_interface_transmit_packets_total{{namespace=\"{node}\",role=\"node\",owner=\"cp1\",interface=\"netlab-vxlan\"}})";
        var veths = $"sum(netlab_interface_receive_bytes_total{{namespace=\"{node}\",owner=\"cp1\",interface=~\"nlc.+\"}})";
        var before = (Connections: await prometheus.WaitForAsync(connections, _ => true, TimeSpan.FromSeconds(20)) ?? 0,
            Hits: await prometheus.ValueAsync(hits) ?? 0, Tunnel: await prometheus.ValueAsync(tunnel) ?? 0, Veths: await prometheus.ValueAsync(veths) ?? 0);

        var probe = new Probe(ProcessRunner.Default);
        for (var i = 0; i < Requests; i++)
        {
            var (body, error) = await probe.HttpGetAsync(lab.Namespace("client"), lab.ClusterIP("web"), 80);
            Assert.True(body is not null, $"request {i} to the web service failed: {error}");
        }

        var after = await prometheus.WaitForAsync(connections, v => v >= before.Connections + Requests, TimeSpan.FromSeconds(30));
        Assert.True(after >= before.Connections + Requests,
            $"new connections to default/web on cp1 went from {before.Connections} to {after}, expected +{Requests}\nnetlab: {exporter.Log}");
        Assert.True(await prometheus.WaitForAsync(hits, v => v >= before.Hits + Requests, TimeSpan.FromSeconds(30)) >= before.Hits + Requests);
        var endpoints = await prometheus.QueryAsync("netlab_endpoint_hits_total{node=\"cp1\",service=\"default/web\"}");
        Assert.Equal(2, endpoints.Count);
        Assert.All(endpoints, e => Assert.Matches(@"^10\.244\.[01]\.\d+:8080$", e.Labels["endpoint"]));
        Assert.All(endpoints, e => Assert.StartsWith("NETLAB-SEP-", e.Labels["rule"], StringComparison.Ordinal));
        Assert.True(await prometheus.WaitForAsync(veths, v => v > before.Veths, TimeSpan.FromSeconds(30)) > before.Veths,
            "the pods' host-side veths on cp1 received no bytes");
        Assert.True(await prometheus.WaitForAsync(tunnel, v => v > before.Tunnel, TimeSpan.FromSeconds(30)) > before.Tunnel,
            "cp1's VXLAN device sent nothing (half the requests go to web-1 on w1)");
        Assert.True(await prometheus.ValueAsync($"netlab_conntrack_entries{{namespace=\"{node}\",role=\"node\",owner=\"cp1\"}}") > 0,
            "no conntrack entries on cp1 after the traffic");
        Assert.NotNull(await prometheus.ValueAsync($"netlab_tcp_retransmitted_segments_total{{namespace=\"{node}\",owner=\"cp1\"}}"));
        Assert.Equal(1, await prometheus.ValueAsync("netlab_rule_counters_available{node=\"cp1\",backend=\"iptables\"}"));
        // Only cp1 is served: its own namespace, not the lab's other nodes or pods.
        Assert.Equal([node], (await prometheus.QueryAsync("count by (namespace) (netlab_interface_receive_bytes_total)")).Select(r => r.Labels["namespace"]));
        Assert.Equal(0, await prometheus.ValueAsync("max(netlab_collect_problems)"));
    }

    /// <summary>The unit's ExecStart, split into words (the unit quotes nothing).</summary>
    private static string[] ExecStart(string unit) =>
        unit.Split('\n').Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal))["ExecStart=".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
