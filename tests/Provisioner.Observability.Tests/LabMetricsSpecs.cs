using System.Text;
using Prometheus;
using Provisioner.Observability.Metrics;
using Provisioner.ServiceRules.Applying;
using Xunit;

namespace Provisioner.Observability.Tests;

public class LabMetricsSpecs
{
    private static readonly LabTargets Targets = new("lab", [], [], new Dictionary<string, string> { ["10.244.0.3"] = "web-2" });

    private static LabSample Sample(long clusterIpPackets, params string[] problems) => new(Targets,
        [new NodeRuleSample("cp1", RuleBackend.Iptables, true,
            [new ServiceCounter("cp1", "default/web", "cluster IP", "NETLAB-SERVICES \"default/web cluster IP\"", clusterIpPackets, clusterIpPackets * 60)],
            [new EndpointCounter("cp1", "default/web", "10.244.0.3:8080", "NETLAB-SEP-X \"default/web\"", clusterIpPackets, 0)])],
        [new NamespaceSample(new WatchedNamespace("lab-cp1", NamespaceRole.Node, "cp1"), [new InterfaceCounters("eth0", 10, 1, 0, 0, 20, 2, 0, 0)], 4, 7)],
        problems, TimeSpan.FromMilliseconds(5));

    private static async Task<string> ExportAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public async Task A_sample_becomes_series_labelled_with_the_rule_the_pod_and_the_namespace()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var metrics = new LabMetrics(registry);

        metrics.Update(Sample(3));
        var text = await ExportAsync(registry);

        Assert.Contains("netlab_service_rule_packets_total{node=\"cp1\",service=\"default/web\",frontend=\"cluster IP\",rule=\"NETLAB-SERVICES \\\"default/web cluster IP\\\"\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("netlab_endpoint_hits_total{node=\"cp1\",service=\"default/web\",endpoint=\"10.244.0.3:8080\",pod=\"web-2\"", text, StringComparison.Ordinal);
        Assert.Contains("netlab_conntrack_entries{namespace=\"lab-cp1\",role=\"node\",owner=\"cp1\"} 7", text, StringComparison.Ordinal);
        Assert.Contains("netlab_interface_transmit_bytes_total{namespace=\"lab-cp1\",role=\"node\",owner=\"cp1\",interface=\"eth0\"} 20", text, StringComparison.Ordinal);
        Assert.Contains("netlab_tcp_retransmitted_segments_total{namespace=\"lab-cp1\",role=\"node\",owner=\"cp1\"} 4", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kernel_counter_that_starts_again_from_zero_never_makes_the_metric_go_down()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var metrics = new LabMetrics(registry);

        metrics.Update(Sample(5));
        metrics.Update(Sample(2)); // the rule was recreated by `netlab up`: the kernel counts from zero again

        Assert.Contains("frontend=\"cluster IP\",rule=\"NETLAB-SERVICES \\\"default/web cluster IP\\\"\"} 7", await ExportAsync(registry), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_service_that_is_gone_loses_its_series_but_not_while_a_source_could_not_be_read()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var metrics = new LabMetrics(registry);
        metrics.Update(Sample(3));
        var empty = new LabSample(Targets, [new NodeRuleSample("cp1", RuleBackend.Iptables, true, [], [])], [], [], TimeSpan.Zero);

        metrics.Update(empty with { Problems = ["rules of node w1: not read within 4 s"] });
        Assert.Contains("netlab_service_rule_packets_total{", await ExportAsync(registry), StringComparison.Ordinal);

        metrics.Update(empty);
        Assert.DoesNotContain("netlab_service_rule_packets_total{", await ExportAsync(registry), StringComparison.Ordinal);
    }
}
