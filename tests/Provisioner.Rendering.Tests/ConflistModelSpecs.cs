using System.Text.Json;
using Provisioner.Rendering.Templates;
using Xunit;

namespace Provisioner.Rendering.Tests;

/// <summary>
/// The conflist model against a stand-in template that uses every variable netlab-cni's template is specified to
/// use: with strict variables, a variable the model lacks would fail here before the real template arrives.
/// </summary>
public sealed class ConflistModelSpecs : IDisposable
{
    private const string StandIn = """
        {"name": {{ network_name | json_quote }}, "mode": {{ mode | json_quote }}, "bridge": {{ bridge | json_quote }},
         "isGateway": {{ is_gateway }}, "mtu": {{ mtu }}, "ovsDb": {{ ovs_db | json_quote }}, "datapath": {{ datapath | json_quote }},
         "subnet": {{ subnet | json_quote }}, "gateway": {{ gateway | json_quote }}, "rangeStart": {{ range_start | json_quote }},
         "rangeEnd": {{ range_end | json_quote }}, "dataDir": {{ data_dir | json_quote }}, "clusterDns": {{ cluster_dns | json_quote }},
         "search": [{{ for s in dns_search }}{{ if !for.first }}, {{ end }}{{ s | json_quote }}{{ end }}], "logFile": {{ log_file | json_quote }}}
        """;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "netlab-conflist-" + Guid.NewGuid().ToString("N")[..8]);

    public ConflistModelSpecs()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "cni"));
        File.WriteAllText(Path.Combine(_dir, NodeFiles.ConflistTemplate), StandIn);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Every_node_gets_a_conflist_with_every_specified_variable_filled()
    {
        var renderer = TemplateRenderer.WithOverride(_dir);

        foreach (var (node, files) in LabRenderer.RenderAll(Stacks.Dev, renderer))
        {
            var conflist = files.Single(f => f.RelativePath == NodeFiles.Conflist);
            using var json = JsonDocument.Parse(conflist.Content);
            var root = json.RootElement;
            Assert.Equal("netlab", root.GetProperty("name").GetString());
            Assert.Equal("ovs", root.GetProperty("mode").GetString());
            Assert.True(root.GetProperty("isGateway").GetBoolean());
            Assert.Equal(1450, root.GetProperty("mtu").GetInt32());
            Assert.Equal(3, root.GetProperty("search").GetArrayLength());
            Assert.Equal("/var/lib/netlab/cni", root.GetProperty("dataDir").GetString());
            Assert.Equal(FileDelivery.Transfer, conflist.Delivery);
            Assert.Equal("0644", conflist.OctalMode);
            Assert.StartsWith("10.244.", root.GetProperty("subnet").GetString());
            Assert.NotNull(node);
        }
    }
}
