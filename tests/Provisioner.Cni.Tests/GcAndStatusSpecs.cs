using System.Text.Json.Nodes;
using Provisioner.Cni.Tests.Support;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Cni.Tests;

/// <summary>GC and STATUS (spec 1.1.0). The reference speaks at most 1.0.0, so it refuses both: asserted explicitly.</summary>
[Collection(PrivilegedCollection.Name)]
public sealed class GcAndStatusSpecs
{
    [PrivilegedFact]
    public void GC_releases_every_attachment_not_listed_as_valid()
    {
        using var lab = new CniLab();
        var (kept, dropped) = (lab.NewPod(), lab.NewPod());
        var keptResult = lab.Run(Plugin.NetlabCni, "ADD", lab.Config(Plugin.NetlabCni, "1.1.0"), "kept", kept);
        var droppedResult = lab.Run(Plugin.NetlabCni, "ADD", lab.Config(Plugin.NetlabCni, "1.1.0"), "dropped", dropped);
        Assert.True(keptResult.Succeeded && droppedResult.Succeeded, keptResult + " / " + droppedResult);
        var droppedVeth = droppedResult.Json!["interfaces"]![1]!["name"]!.GetValue<string>();

        var gc = lab.Run(Plugin.NetlabCni, "GC", GcConfig(lab, ("kept", "eth0")), "", pod: null);

        Assert.True(gc.Succeeded, gc.ToString());
        Assert.Equal([keptResult.Address], lab.AllocationFiles());
        Assert.False(lab.Exec(lab.Node, "ip", "link", "show", droppedVeth).Succeeded, "GC left the dropped pod's veth");
        Assert.True(lab.Exec(kept, "ping", "-c1", "-W2", CniLab.Gateway).Succeeded, "GC broke the kept pod");
    }

    [PrivilegedFact]
    public void GC_and_STATUS_are_refused_below_1_1_0_and_by_the_reference()
    {
        using var lab = new CniLab();

        var netlabGc = lab.Run(Plugin.NetlabCni, "GC", lab.Config(Plugin.NetlabCni, "1.0.0"), "", pod: null);
        var netlabStatus = lab.Run(Plugin.NetlabCni, "STATUS", lab.Config(Plugin.NetlabCni, "1.0.0"), "", pod: null);
        var referenceStatus = lab.Run(Plugin.Reference, "STATUS", lab.Config(Plugin.Reference, "1.0.0"), "", pod: null);

        Assert.Equal(1, netlabGc.ErrorCode);
        Assert.Contains("does not allow GC", netlabGc.ErrorMessage);
        Assert.Equal(1, netlabStatus.ErrorCode);
        // Difference: the reference (spec ≤ 1.0.0) does not know STATUS at all.
        Assert.False(referenceStatus.Succeeded, referenceStatus.ToString());
    }

    [PrivilegedFact]
    public void STATUS_is_ok_when_the_plugin_can_serve_ADD()
    {
        using var lab = new CniLab();

        var status = lab.Run(Plugin.NetlabCni, "STATUS", lab.Config(Plugin.NetlabCni, "1.1.0"), "", pod: null);

        Assert.True(status.Succeeded, status.ToString());
        Assert.Equal("", status.Stdout.Trim());
    }

    [PrivilegedFact]
    public void STATUS_reports_50_when_the_IPAM_directory_is_unusable()
    {
        using var lab = new CniLab();
        var notADirectory = Path.Combine(lab.DataDir, "a-file");
        File.WriteAllText(notADirectory, "");
        var config = lab.Config(Plugin.NetlabCni, "1.1.0");
        config["ipam"]!["dataDir"] = notADirectory;

        var status = lab.Run(Plugin.NetlabCni, "STATUS", config, "", pod: null);

        Assert.Equal(50, status.ErrorCode);
        Assert.Contains("IPAM directory", status.ErrorMessage);
    }

    [PrivilegedFact]
    public void STATUS_reports_50_when_the_bridge_the_fabric_makes_is_missing()
    {
        using var lab = new CniLab();
        var config = lab.Config(Plugin.NetlabCni, "1.1.0");
        config["isGateway"] = false;

        var status = lab.Run(Plugin.NetlabCni, "STATUS", config, "", pod: null);

        Assert.Equal(50, status.ErrorCode);
        Assert.Contains($"bridge {CniLab.Bridge} does not exist", status.ErrorMessage);
    }

    private static JsonObject GcConfig(CniLab lab, params (string ContainerId, string IfName)[] valid)
    {
        var config = lab.Config(Plugin.NetlabCni, "1.1.0");
        config["cni.dev/valid-attachments"] = new JsonArray(valid
            .Select(v => (JsonNode)new JsonObject { ["containerID"] = v.ContainerId, ["ifname"] = v.IfName }).ToArray());
        return config;
    }
}
