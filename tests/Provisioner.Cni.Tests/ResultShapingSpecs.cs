using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Provisioner.Cni.Attach;
using Provisioner.Cni.Config;
using Provisioner.Cni.Results;
using Provisioner.Host.Netlink;
using Xunit;

namespace Provisioner.Cni.Tests;

public sealed class ResultShapingSpecs
{
    [Theory]
    [InlineData("0.3.0", true, false)]
    [InlineData("0.3.1", true, false)]
    [InlineData("0.4.0", true, false)]
    [InlineData("1.0.0", false, false)]
    [InlineData("1.1.0", false, true)]
    public void The_result_is_shaped_for_the_configs_version(string version, bool ipVersionField, bool interfaceMtu)
    {
        var result = Render(version);

        Assert.Equal(version, result["cniVersion"]!.GetValue<string>());
        var ip = result["ips"]![0]!.AsObject();
        Assert.Equal(ipVersionField, ip.ContainsKey("version"));
        if (ipVersionField)
            Assert.Equal("4", ip["version"]!.GetValue<string>());
        Assert.Equal(interfaceMtu, result["interfaces"]![2]!.AsObject().ContainsKey("mtu"));
    }

    [Fact]
    public void The_result_lists_bridge_host_veth_and_sandboxed_pod_interface_with_address_route_and_dns()
    {
        var result = Render("1.1.0");

        Assert.Equal(["netlab0", "nlc0123456789ab", "eth0"], result["interfaces"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()));
        Assert.Null(result["interfaces"]![1]!["sandbox"]);
        Assert.Equal("/run/netns/pod", result["interfaces"]![2]!["sandbox"]!.GetValue<string>());
        Assert.Equal("10.244.1.7/24", result["ips"]![0]!["address"]!.GetValue<string>());
        Assert.Equal("10.244.1.1", result["ips"]![0]!["gateway"]!.GetValue<string>());
        Assert.Equal(2, result["ips"]![0]!["interface"]!.GetValue<int>());
        Assert.Equal("0.0.0.0/0", result["routes"]![0]!["dst"]!.GetValue<string>());
        Assert.Equal("10.244.1.1", result["routes"]![0]!["gw"]!.GetValue<string>());
        Assert.Equal("10.96.0.10", result["dns"]!["nameservers"]![0]!.GetValue<string>());
    }

    private static JsonNode Render(string version)
    {
        var config = ConfigParserSpecs.Parse($$$"""
            {"cniVersion":"{{{version}}}","name":"n","mtu":1450,"ipam":{"subnet":"10.244.1.0/24","routes":[{"dst":"0.0.0.0/0"}]},
             "dns":{"nameservers":["10.96.0.10"]}}
            """);
        var pod = new AttachedPod("netlab0", "aa:aa:aa:aa:aa:aa",
            new LinkInfo(7, "nlc0123456789ab", "veth", "bb:bb:bb:bb:bb:bb", 1450, 2, true),
            new LinkInfo(2, "eth0", "veth", "cc:cc:cc:cc:cc:cc", 1450, null, true), IPAddress.Parse("10.244.1.7"));
        var json = JsonSerializer.Serialize(ResultBuilder.Build(config, "/run/netns/pod", pod), CniJsonContext.Default.ResultJson);
        return JsonNode.Parse(json)!;
    }
}
