using System.Text.Json;
using System.Text.RegularExpressions;
using Provisioner.Observability.Metrics;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Observability.Tests;

public partial class GrafanaDashboardSpecs
{
    private static JsonElement Dashboard() =>
        JsonDocument.Parse(File.ReadAllText(RepoPaths.Of("observability", "grafana", "netlab.json"))).RootElement;

    [Fact]
    public void Every_panel_query_names_only_metrics_the_exporter_serves()
    {
        var panels = Dashboard().GetProperty("panels").EnumerateArray().ToList();

        Assert.NotEmpty(panels);
        foreach (var panel in panels)
        {
            var title = panel.GetProperty("title").GetString();
            var exprs = panel.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!).ToList();
            Assert.True(exprs.Count > 0, $"panel '{title}' has no query");
            foreach (var expr in exprs)
            {
                var names = MetricName().Matches(expr).Select(m => m.Value).ToList();
                Assert.True(names.Count > 0, $"panel '{title}': '{expr}' names no netlab metric");
                Assert.All(names, n => Assert.True(LabMetrics.Names.Contains(n), $"panel '{title}': {n} is not served (served: {string.Join(", ", LabMetrics.Names)})"));
            }
        }
    }

    [Fact]
    public void The_dashboard_uses_the_datasource_its_provisioning_file_declares()
    {
        var datasources = File.ReadAllText(RepoPaths.Of("observability", "grafana", "provisioning", "datasources.yaml"));
        var uids = Dashboard().GetProperty("panels").EnumerateArray().Select(p => p.GetProperty("datasource").GetProperty("uid").GetString()).Distinct().ToList();

        var uid = Assert.Single(uids);
        Assert.Contains($"uid: {uid}", datasources, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\bnetlab_[a-z_]+\b")]
    private static partial Regex MetricName();
}
