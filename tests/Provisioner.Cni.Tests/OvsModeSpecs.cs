using Provisioner.Cni.Tests.Support;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Cni.Tests;

/// <summary>
/// ovs mode: pods as ports on an OVS bridge with the userspace datapath (netdev), as netlab's OVS fabric runs it.
/// netlab-cni only (the reference bridge plugin has no OVS mode).
/// </summary>
[Collection(PrivilegedCollection.Name)]
public sealed class OvsModeSpecs
{
    private const string OvsBridge = "br-nltest";

    [PrivilegedFact]
    public async Task Pods_on_an_OVS_netdev_bridge_reach_each_other_over_TCP_and_DEL_removes_their_ports()
    {
        using var lab = new CniLab();
        using var ovs = new OvsLab(lab, OvsBridge);
        Assert.True(lab.Exec(lab.Node, "ip", "addr", "add", CniLab.Gateway + "/24", "dev", OvsBridge).Succeeded);
        Assert.True(lab.Exec(lab.Node, "ip", "link", "set", OvsBridge, "up").Succeeded);
        var (pod1, pod2) = (lab.NewPod(), lab.NewPod());
        var config = OvsConfig(lab, ovs);

        var first = lab.Run(Plugin.NetlabCni, "ADD", config, "o1", pod1);
        var second = lab.Run(Plugin.NetlabCni, "ADD", config, "o2", pod2);

        Assert.True(first.Succeeded && second.Succeeded, first + " / " + second);
        var ports = ovs.Ports();
        Assert.Contains(first.Json!["interfaces"]![1]!["name"]!.GetValue<string>(), ports);
        Assert.Contains(second.Json!["interfaces"]![1]!["name"]!.GetValue<string>(), ports);
        Assert.Contains("tx-checksumming: off", lab.Exec(pod1, "ethtool", "-k", "eth0").StandardOutput);
        Assert.True(lab.Exec(pod1, "ping", "-c1", "-W2", CniLab.Gateway).Succeeded, "pod1 cannot ping the gateway on the OVS bridge");
        Assert.True(lab.Exec(pod1, "ping", "-c1", "-W2", second.Address).Succeeded, "pod1 cannot ping pod2 through OVS");
        Assert.True(await TcpWorksAsync(lab, pod1, pod2, second.Address), "TCP between pods through OVS netdev failed");
        Assert.True(lab.Run(Plugin.NetlabCni, "CHECK", ConformanceSpecs.WithPrevResult(OvsConfig(lab, ovs), first), "o1", pod1).Succeeded);

        Assert.True(lab.Run(Plugin.NetlabCni, "DEL", config, "o1", pod1).Succeeded);
        Assert.True(lab.Run(Plugin.NetlabCni, "DEL", config, "o2", pod2).Succeeded);

        Assert.Empty(ovs.Ports());
        Assert.Empty(lab.AllocationFiles());
    }

    [PrivilegedFact]
    public void GC_removes_the_OVS_ports_and_addresses_of_pods_not_listed()
    {
        using var lab = new CniLab();
        using var ovs = new OvsLab(lab, OvsBridge);
        var (kept, dropped) = (lab.NewPod(), lab.NewPod());
        var keptResult = lab.Run(Plugin.NetlabCni, "ADD", OvsConfig(lab, ovs), "kept", kept);
        var droppedResult = lab.Run(Plugin.NetlabCni, "ADD", OvsConfig(lab, ovs), "dropped", dropped);
        Assert.True(keptResult.Succeeded && droppedResult.Succeeded, keptResult + " / " + droppedResult);
        var gc = OvsConfig(lab, ovs);
        gc["cni.dev/valid-attachments"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["containerID"] = "kept", ["ifname"] = "eth0" });

        var collected = lab.Run(Plugin.NetlabCni, "GC", gc, "", pod: null);

        Assert.True(collected.Succeeded, collected.ToString());
        Assert.Equal([keptResult.Json!["interfaces"]![1]!["name"]!.GetValue<string>()], ovs.Ports());
        Assert.Equal([keptResult.Address], lab.AllocationFiles());
    }

    [PrivilegedFact]
    public void STATUS_reports_50_when_the_OVS_bridge_is_missing()
    {
        using var lab = new CniLab();
        using var ovs = new OvsLab(lab, OvsBridge);
        var config = OvsConfig(lab, ovs);
        config["bridge"] = "br-missing";

        var status = lab.Run(Plugin.NetlabCni, "STATUS", config, "", pod: null);
        var healthy = lab.Run(Plugin.NetlabCni, "STATUS", OvsConfig(lab, ovs), "", pod: null);

        Assert.Equal(50, status.ErrorCode);
        Assert.Contains("br-missing does not exist", status.ErrorMessage);
        Assert.True(healthy.Succeeded, healthy.ToString());
    }

    private static System.Text.Json.Nodes.JsonObject OvsConfig(CniLab lab, OvsLab ovs)
    {
        var config = lab.Config(Plugin.NetlabCni, "1.1.0");
        config["mode"] = "ovs";
        config["bridge"] = ovs.Bridge;
        config["ovsDb"] = ovs.Endpoint;
        config["datapath"] = "netdev";
        config.Remove("isGateway");
        return config;
    }

    /// <summary>One bounded iperf3 run from pod1 to a server in pod2.</summary>
    private static async Task<bool> TcpWorksAsync(CniLab lab, string client, string server, string serverAddress)
    {
        var listening = Task.Run(() => lab.Exec(server, "timeout", "15", "iperf3", "-s", "-1", "-p", "5299"));
        // Until the server listens (a fixed wait loses the race on a loaded machine), bounded by the server's own timeout.
        for (var i = 0; i < 100 && !listening.IsCompleted
             && !lab.Exec(server, "ss", "-Hltn", "sport = :5299").StandardOutput.Contains("5299", StringComparison.Ordinal); i++)
            await Task.Delay(100);
        var sent = lab.Exec(client, "timeout", "10", "iperf3", "-c", serverAddress, "-p", "5299", "-t", "1");
        await listening;
        return sent.Succeeded && sent.StandardOutput.Contains("receiver", StringComparison.Ordinal);
    }
}
