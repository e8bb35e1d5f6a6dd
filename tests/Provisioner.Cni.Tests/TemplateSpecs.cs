using System.Text;
using System.Text.Json.Nodes;
using Provisioner.Cni.Config;
using Provisioner.Testing;
using Scriban;
using Scriban.Runtime;
using Xunit;

namespace Provisioner.Cni.Tests;

/// <summary>templates/cni/10-netlab.conflist.sbn renders, with strict variables, a conflist netlab-cni accepts.</summary>
public sealed class TemplateSpecs
{
    [Fact]
    public void The_conflist_template_renders_a_config_the_plugin_accepts()
    {
        var conflist = Render(ovsDb: "", logFile: "");

        var plugin = PluginAsRuntimeSendsIt(conflist);
        var config = ConfigParser.Validate(ConfigParser.Decode(Encoding.UTF8.GetBytes(plugin.ToJsonString())));

        Assert.Equal("1.0.0", conflist["cniVersion"]!.GetValue<string>()); // what containerd 1.6/1.7 can read
        Assert.Equal(["1.0.0", "1.1.0"], conflist["cniVersions"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal("netlab", config.NetworkName);
        Assert.Equal(1450, config.Mtu);
        Assert.Equal("/var/lib/netlab/node1/cni", config.Ipam.DataDir);
        Assert.Equal(["default.svc.cluster.local", "cluster.local"], config.Dns!.Search!);
        Assert.False(plugin.AsObject().ContainsKey("ovsDb"));
        Assert.False(plugin.AsObject().ContainsKey("logFile"));
    }

    [Fact]
    public void Optional_keys_appear_when_set()
    {
        var plugin = PluginAsRuntimeSendsIt(Render(ovsDb: "unix:/run/netlab/n1/db.sock", logFile: "/var/log/netlab-cni.log", mode: "ovs"));

        Assert.Equal("unix:/run/netlab/n1/db.sock", plugin["ovsDb"]!.GetValue<string>());
        Assert.Equal("/var/log/netlab-cni.log", plugin["logFile"]!.GetValue<string>());
        Assert.Equal("ovs", plugin["mode"]!.GetValue<string>());
    }

    private static JsonNode Render(string ovsDb, string logFile, string mode = "bridge")
    {
        var template = Template.Parse(File.ReadAllText(RepoPaths.Of("templates", "cni", "10-netlab.conflist.sbn")));
        Assert.False(template.HasErrors, string.Join("; ", template.Messages));
        var globals = new ScriptObject
        {
            ["network_name"] = "netlab", ["mode"] = mode, ["bridge"] = "netlab0", ["is_gateway"] = true, ["mtu"] = 1450,
            ["ovs_db"] = ovsDb, ["datapath"] = "netdev", ["subnet"] = "10.244.1.0/24", ["gateway"] = "10.244.1.1",
            ["range_start"] = "10.244.1.2", ["range_end"] = "10.244.1.254", ["data_dir"] = "/var/lib/netlab/node1/cni",
            ["cluster_dns"] = "10.96.0.10", ["dns_search"] = new ScriptArray { "default.svc.cluster.local", "cluster.local" },
            ["log_file"] = logFile,
        };
        var context = new TemplateContext { StrictVariables = true };
        context.PushGlobal(globals);
        return JsonNode.Parse(template.Render(context))!;
    }

    /// <summary>A runtime sends each plugin its entry plus the list's cniVersion and name.</summary>
    private static JsonNode PluginAsRuntimeSendsIt(JsonNode conflist)
    {
        var plugin = conflist["plugins"]![0]!.DeepClone();
        plugin["cniVersion"] = conflist["cniVersion"]!.DeepClone();
        plugin["name"] = conflist["name"]!.DeepClone();
        return plugin;
    }
}
