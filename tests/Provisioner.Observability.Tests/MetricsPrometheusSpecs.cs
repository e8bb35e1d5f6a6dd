using Provisioner.Host.Processes;
using Provisioner.Netns.Verify;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Observability.Tests;

/// <summary>
/// <c>netlab metrics</c> as a learner runs it, scraped by a real Prometheus every second, while a pod sends traffic
/// to a service of the lab: the series Prometheus stores rise with that traffic.
/// </summary>
[Collection(PrivilegedCollection.Name)]
public sealed class MetricsPrometheusSpecs(LabFixture lab) : IClassFixture<LabFixture>
{
    private const int Requests = 8;

    [PrivilegedFact]
    public async Task Prometheus_scraping_netlab_metrics_sees_service_endpoint_conntrack_and_interface_counters_rise()
    {
        var port = LabFixture.FreePort();
        await using var exporter = new StreamedProcess(LabFixture.Netlab, ["metrics", "--stack", lab.StackPath, "--listen", $"127.0.0.1:{port}"]);
        await using var prometheus = new PrometheusServer($"127.0.0.1:{port}");
        var up = await prometheus.WaitForAsync("up{job=\"netlab\"}", v => v == 1, TimeSpan.FromSeconds(60));
        Assert.True(up == 1, $"Prometheus never scraped netlab metrics (up = {up}).\nnetlab: {exporter.Log}\nprometheus: {prometheus.Log}");

        const string connections = "sum(netlab_service_rule_packets_total{service=\"default/web\",frontend=\"cluster IP\"})";
        const string hits = "sum(netlab_endpoint_hits_total{service=\"default/web\"})";
        const string clientBytes = "sum(netlab_interface_transmit_bytes_total{role=\"pod\",owner=\"client\",interface=\"eth0\"})";
        var before = (Connections: await prometheus.WaitForAsync(connections, _ => true, TimeSpan.FromSeconds(10)) ?? 0,
            Hits: await prometheus.ValueAsync(hits) ?? 0, Bytes: await prometheus.ValueAsync(clientBytes) ?? 0);

        var probe = new Probe(ProcessRunner.Default);
        for (var i = 0; i < Requests; i++)
        {
            var (body, error) = await probe.HttpGetAsync(lab.Namespace("client"), lab.ClusterIP("web"), 80);
            Assert.True(body is not null, $"request {i} to the web service failed: {error}");
        }

        var after = await prometheus.WaitForAsync(connections, v => v >= before.Connections + Requests, TimeSpan.FromSeconds(20));
        Assert.True(after >= before.Connections + Requests, $"new connections to default/web went from {before.Connections} to {after}, expected +{Requests}");
        Assert.True(await prometheus.WaitForAsync(hits, v => v >= before.Hits + Requests, TimeSpan.FromSeconds(20)) >= before.Hits + Requests);
        var byPod = await prometheus.QueryAsync("sum by (pod) (netlab_endpoint_hits_total{service=\"default/web\"})");
        Assert.Equal(["web-1", "web-2"], byPod.Select(r => r.Labels["pod"]).Order(StringComparer.Ordinal));
        Assert.True(await prometheus.WaitForAsync(clientBytes, v => v > before.Bytes, TimeSpan.FromSeconds(20)) > before.Bytes, "the client pod's eth0 sent no bytes");
        Assert.True(await prometheus.ValueAsync("netlab_conntrack_entries{role=\"node\",owner=\"cp1\"}") > 0, "no conntrack entries on cp1 after the traffic");
        Assert.Equal(0, await prometheus.ValueAsync("max(netlab_collect_problems)"));
    }

    [PrivilegedFact]
    public async Task Top_once_shows_the_connections_each_endpoint_took()
    {
        var probe = new Probe(ProcessRunner.Default);
        for (var i = 0; i < 4; i++)
            Assert.NotNull((await probe.HttpGetAsync(lab.Namespace("client"), lab.ClusterIP("web"), 80)).Body);

        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await Cli.NetlabCli.RunAsync(["top", "--once", "--stack", lab.StackPath], output, error);

        Assert.True(code == 0, error.ToString());
        var text = output.ToString();
        Assert.Contains("default/web", text, StringComparison.Ordinal);
        Assert.Matches(@"10\.244\.\d+\.\d+:8080 .*web-1", text);
        Assert.Matches(@"cluster IP .*cp1 .*\b([4-9]|\d\d+)\b", text); // at least the 4 connections just made
        Assert.Contains(lab.Namespace("client"), text, StringComparison.Ordinal);
    }
}
