using System.Text.Json;
using Provisioner.Rendering.Models;
using Xunit;

namespace Provisioner.Rendering.Tests;

public class ConflistSpecs
{
    [ConflistTemplateFact]
    public void The_conflist_renders_as_JSON_with_the_node_subnet_and_is_delivered_to_every_node()
    {
        foreach (var (node, files) in LabRenderer.RenderAll(Stacks.Dev))
        {
            var conflist = files.Single(f => f.RelativePath == NodeFiles.Conflist);
            using var json = JsonDocument.Parse(conflist.Content);
            Assert.Equal(JsonValueKind.Object, json.RootElement.ValueKind);
            Assert.Contains(RenderModels.Conflist(Stacks.Dev, node).Subnet, conflist.Content);
            Assert.Equal("/etc/netlab/cni/10-netlab.conflist", conflist.NodePath);
        }
    }

    [ConflistTemplateFact]
    public void The_conflist_renders_in_both_modes()
    {
        var ovs = LabRenderer.RenderConflist(RenderModels.Conflist(Stacks.Dev, "cp1"));
        var bridge = LabRenderer.RenderConflist(RenderModels.Conflist(Stacks.LinuxVxlanKubeProxy, "cp") with { LogFile = "/var/log/netlab-cni.log", OvsDb = "unix:/tmp/db.sock" });

        using var a = JsonDocument.Parse(ovs);
        using var b = JsonDocument.Parse(bridge);
        Assert.Contains("\"ovs\"", ovs);
        Assert.Contains("\"bridge\"", bridge);
    }
}
