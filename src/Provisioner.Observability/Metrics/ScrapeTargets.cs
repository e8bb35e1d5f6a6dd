using System.Text.Json;

namespace Provisioner.Observability.Metrics;

/// <summary>One node exporter Prometheus should scrape: the node's name in the lab and its address.</summary>
public sealed record ScrapeTarget(string Node, string Address);

/// <summary>
/// Prometheus file-based service discovery (<c>file_sd_configs</c>) for the VM lab's node exporters: a JSON list of
/// target groups, one per node, each labelled with the lab and the node so a query can pick a node before any scrape
/// has named it. Prometheus re-reads the file when it changes: rewrite it after adding a node.
/// </summary>
public static class ScrapeTargets
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string FileSd(string lab, int port, IEnumerable<ScrapeTarget> targets) =>
        JsonSerializer.Serialize(targets.OrderBy(t => t.Node, StringComparer.Ordinal).Select(t => new
        {
            targets = new[] { $"{t.Address}:{port}" },
            labels = new Dictionary<string, string>(StringComparer.Ordinal) { ["lab"] = lab, ["lab_node"] = t.Node },
        }), Indented) + "\n";
}
