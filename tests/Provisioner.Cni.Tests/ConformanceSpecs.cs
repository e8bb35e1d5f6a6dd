using System.Text.Json.Nodes;
using Provisioner.Cni.Tests.Support;
using Provisioner.Host.Processes;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Cni.Tests;

/// <summary>
/// The CNI conformance cases, each run against netlab-cni and the reference bridge + host-local, driven exactly as a
/// runtime drives a plugin. Where the reference legitimately differs, the case says so and asserts the difference.
/// </summary>
[Collection(PrivilegedCollection.Name)]
public sealed class ConformanceSpecs
{
    public static TheoryData<Plugin> Plugins => new() { Plugin.NetlabCni, Plugin.Reference };

    [PrivilegedTheory]
    [MemberData(nameof(Plugins))]
    public void I_can_add_a_pod_that_reaches_its_gateway_and_a_second_pod(Plugin plugin)
    {
        using var lab = new CniLab();
        var (pod1, pod2) = (lab.NewPod(), lab.NewPod());

        var first = lab.Run(plugin, "ADD", lab.Config(plugin), "c1", pod1);
        var second = lab.Run(plugin, "ADD", lab.Config(plugin), "c2", pod2);

        Assert.True(first.Succeeded, first.ToString());
        Assert.True(second.Succeeded, second.ToString());
        Assert.NotEqual(first.Address, second.Address);
        Assert.True(lab.Exec(pod1, "ping", "-c1", "-W2", CniLab.Gateway).Succeeded, "pod1 cannot ping the gateway");
        Assert.True(lab.Exec(pod1, "ping", "-c1", "-W2", second.Address).Succeeded, "pod1 cannot ping pod2");
        Assert.Contains($"mtu {CniLab.Mtu}", lab.Exec(pod1, "ip", "link", "show", "eth0").StandardOutput);
        Assert.Contains($"default via {CniLab.Gateway}", lab.Exec(pod1, "ip", "route").StandardOutput);
        var hostVeth = first.Json!["interfaces"]![1]!["name"]!.GetValue<string>();
        Assert.Contains("hairpin on", lab.Exec(lab.Node, "ip", "-d", "link", "show", hostVeth).StandardOutput);
        Assert.Equal(CniLab.PathOf(pod1), first.Json!["interfaces"]![2]!["sandbox"]!.GetValue<string>());
        Assert.Equal(2, first.Json!["ips"]![0]!["interface"]!.GetValue<int>());
    }

    [PrivilegedTheory]
    [MemberData(nameof(Plugins))]
    public void CHECK_after_ADD_succeeds(Plugin plugin)
    {
        using var lab = new CniLab();
        var pod = lab.NewPod();
        var added = lab.Run(plugin, "ADD", lab.Config(plugin), "c1", pod);
        Assert.True(added.Succeeded, added.ToString());

        var check = lab.Run(plugin, "CHECK", WithPrevResult(lab.Config(plugin), added), "c1", pod);

        Assert.True(check.Succeeded, check.ToString());
    }

    [PrivilegedTheory]
    [MemberData(nameof(Plugins))]
    public void CHECK_fails_when_the_address_was_removed(Plugin plugin)
    {
        using var lab = new CniLab();
        var pod = lab.NewPod();
        var added = lab.Run(plugin, "ADD", lab.Config(plugin), "c1", pod);
        Assert.True(added.Succeeded, added.ToString());
        Assert.True(lab.Exec(pod, "ip", "addr", "flush", "dev", "eth0").Succeeded);

        var check = lab.Run(plugin, "CHECK", WithPrevResult(lab.Config(plugin), added), "c1", pod);

        Assert.False(check.Succeeded, "CHECK passed although eth0 lost its address");
        if (plugin == Plugin.NetlabCni)
        {
            Assert.Equal(100, check.ErrorCode);
            Assert.Contains($"address {added.Address}/24 is missing from eth0", check.ErrorMessage);
        }
    }

    [PrivilegedTheory]
    [MemberData(nameof(Plugins))]
    public void DEL_twice_succeeds_and_frees_everything(Plugin plugin)
    {
        using var lab = new CniLab();
        var pod = lab.NewPod();
        var added = lab.Run(plugin, "ADD", lab.Config(plugin), "c1", pod);
        Assert.True(added.Succeeded, added.ToString());

        var first = lab.Run(plugin, "DEL", lab.Config(plugin), "c1", pod);
        var second = lab.Run(plugin, "DEL", lab.Config(plugin), "c1", pod);

        Assert.True(first.Succeeded, first.ToString());
        Assert.True(second.Succeeded, second.ToString());
        Assert.Empty(lab.AllocationFiles());
        Assert.False(lab.Exec(pod, "ip", "link", "show", "eth0").Succeeded, "eth0 survived DEL");
    }

    [PrivilegedTheory]
    [MemberData(nameof(Plugins))]
    public void DEL_without_ADD_succeeds(Plugin plugin)
    {
        using var lab = new CniLab();
        var pod = lab.NewPod();

        var withNetns = lab.Run(plugin, "DEL", lab.Config(plugin), "never-added", pod);
        var withoutNetns = lab.Run(plugin, "DEL", lab.Config(plugin), "never-added", pod: null);

        Assert.True(withNetns.Succeeded, withNetns.ToString());
        Assert.True(withoutNetns.Succeeded, withoutNetns.ToString());
    }

    [PrivilegedTheory]
    [MemberData(nameof(Plugins))]
    public void DEL_succeeds_when_the_pod_namespace_is_already_gone(Plugin plugin)
    {
        using var lab = new CniLab();
        var pod = lab.NewPod();
        Assert.True(lab.Run(plugin, "ADD", lab.Config(plugin), "c1", pod).Succeeded);
        ProcessRunner.Default.Run("ip", "netns", "del", pod);

        var deleted = lab.Run(plugin, "DEL", lab.Config(plugin), "c1", pod);

        Assert.True(deleted.Succeeded, deleted.ToString());
        Assert.Empty(lab.AllocationFiles());
    }

    public static TheoryData<Plugin, string> PluginsAndVersions => new()
    {
        { Plugin.NetlabCni, "0.4.0" }, { Plugin.NetlabCni, "1.0.0" }, { Plugin.NetlabCni, "1.1.0" },
        { Plugin.Reference, "0.4.0" }, { Plugin.Reference, "1.0.0" },
    };

    [PrivilegedTheory]
    [MemberData(nameof(PluginsAndVersions))]
    public void ADD_answers_in_the_configs_version(Plugin plugin, string version)
    {
        using var lab = new CniLab();
        var pod = lab.NewPod();

        var added = lab.Run(plugin, "ADD", lab.Config(plugin, version), "c1", pod);

        Assert.True(added.Succeeded, added.ToString());
        Assert.Equal(version, added.Json!["cniVersion"]!.GetValue<string>());
        var ip = added.Json!["ips"]![0]!.AsObject();
        Assert.Equal(version == "0.4.0", ip.ContainsKey("version")); // "version": "4" was dropped in 1.0.0
        Assert.StartsWith("10.77.0.", ip["address"]!.GetValue<string>());
    }

    [PrivilegedFact]
    public void The_reference_refuses_spec_1_1_0_which_netlab_cni_speaks()
    {
        using var lab = new CniLab();
        var pod = lab.NewPod();

        var reference = lab.Run(Plugin.Reference, "ADD", lab.Config(Plugin.Reference, "1.1.0"), "c1", pod);

        // Difference: Debian's plugins (1.1.x) support spec versions up to 1.0.0 only, so no GC or STATUS either.
        Assert.Equal(1, reference.ErrorCode);
    }

    internal static JsonObject WithPrevResult(JsonObject config, PluginRun added)
    {
        config["prevResult"] = added.Json!.DeepClone();
        return config;
    }
}
