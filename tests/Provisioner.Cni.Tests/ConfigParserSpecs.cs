using System.Text;
using Provisioner.Cni.Config;
using Provisioner.Cni.Skel;
using Xunit;

namespace Provisioner.Cni.Tests;

public sealed class ConfigParserSpecs
{
    private const string Valid = """
        {"cniVersion":"1.1.0","name":"netlab","type":"netlab-cni","mode":"bridge","bridge":"netlab0","isGateway":true,
         "hairpinMode":true,"mtu":1450,"ipam":{"subnet":"10.244.1.0/24","gateway":"10.244.1.1","rangeStart":"10.244.1.2",
         "rangeEnd":"10.244.1.254","reserved":["10.244.1.10"],"routes":[{"dst":"0.0.0.0/0"}],"dataDir":"/var/lib/cni/networks"},
         "dns":{"nameservers":["10.96.0.10"],"search":["cluster.local"],"options":["ndots:5"]}}
        """;

    [Fact]
    public void I_can_parse_the_documented_config()
    {
        var config = Parse(Valid);

        Assert.Equal("netlab", config.NetworkName);
        Assert.Equal(AttachMode.Bridge, config.Mode);
        Assert.True(config.IsGateway);
        Assert.True(config.HairpinMode);
        Assert.Equal(1450, config.Mtu);
        Assert.Equal("10.244.1.0/24", config.Ipam.Subnet.ToString());
        Assert.Equal("10.244.1.254", config.Ipam.RangeEnd.ToString());
        Assert.Contains(System.Net.IPAddress.Parse("10.244.1.10"), config.Ipam.Reserved);
        Assert.Equal("10.96.0.10", config.Dns!.Nameservers![0]);
    }

    [Fact]
    public void Omitted_keys_take_the_reference_defaults()
    {
        var config = Parse("""{"cniVersion":"1.0.0","name":"n","ipam":{"subnet":"10.1.0.0/24"}}""");

        Assert.Equal(AttachMode.Bridge, config.Mode);
        Assert.Equal("netlab0", config.Bridge);
        Assert.False(config.IsGateway);
        Assert.Equal(1500, config.Mtu);
        Assert.Equal("10.1.0.1", config.Ipam.Gateway.ToString());
        Assert.Equal("10.1.0.1", config.Ipam.RangeStart.ToString());
        Assert.Equal("10.1.0.254", config.Ipam.RangeEnd.ToString());
        Assert.Equal("/var/lib/cni/networks", config.Ipam.DataDir);
        Assert.Empty(config.Ipam.Routes);
    }

    [Theory]
    [InlineData("{\"cniVersion\":", (int)CniErrorCode.DecodeFailure, "cannot be decoded")]
    [InlineData("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"mtu\":\"big\",\"ipam\":{\"subnet\":\"10.1.0.0/24\"}}", (int)CniErrorCode.DecodeFailure, "$.mtu")]
    [InlineData("{\"name\":\"n\",\"ipam\":{\"subnet\":\"10.1.0.0/24\"}}", (int)CniErrorCode.IncompatibleVersion, "cniVersion is missing")]
    [InlineData("{\"cniVersion\":\"0.2.0\",\"name\":\"n\",\"ipam\":{\"subnet\":\"10.1.0.0/24\"}}", (int)CniErrorCode.IncompatibleVersion, "supports 0.3.0")]
    [InlineData("{\"cniVersion\":\"1.1.0\",\"ipam\":{\"subnet\":\"10.1.0.0/24\"}}", (int)CniErrorCode.InvalidNetworkConfig, "name is missing")]
    [InlineData("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"mode\":\"macvlan\",\"ipam\":{\"subnet\":\"10.1.0.0/24\"}}", (int)CniErrorCode.InvalidNetworkConfig, "mode \"macvlan\"")]
    [InlineData("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"datapath\":\"dpdk\",\"ipam\":{\"subnet\":\"10.1.0.0/24\"}}", (int)CniErrorCode.InvalidNetworkConfig, "datapath \"dpdk\"")]
    [InlineData("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"bridge\":\"a-very-long-bridge-name\",\"ipam\":{\"subnet\":\"10.1.0.0/24\"}}", (int)CniErrorCode.InvalidNetworkConfig, "not a valid interface name")]
    [InlineData("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"mtu\":40,\"ipam\":{\"subnet\":\"10.1.0.0/24\"}}", (int)CniErrorCode.InvalidNetworkConfig, "mtu 40")]
    [InlineData("{\"cniVersion\":\"1.1.0\",\"name\":\"n\"}", (int)CniErrorCode.InvalidNetworkConfig, "ipam is missing")]
    [InlineData("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"ipam\":{}}", (int)CniErrorCode.InvalidNetworkConfig, "ipam.subnet is missing")]
    [InlineData("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"ipam\":{\"subnet\":\"10.1.0.5/24\"}}", (int)CniErrorCode.InvalidNetworkConfig, "host bits zero")]
    [InlineData("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"ipam\":{\"subnet\":\"fd00::/64\"}}", (int)CniErrorCode.InvalidNetworkConfig, "IPv4")]
    [InlineData("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"ipam\":{\"subnet\":\"10.1.0.0/24\",\"gateway\":\"10.2.0.1\"}}", (int)CniErrorCode.InvalidNetworkConfig, "ipam.gateway 10.2.0.1 is outside")]
    [InlineData("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"ipam\":{\"subnet\":\"10.1.0.0/24\",\"rangeStart\":\"10.1.0.9\",\"rangeEnd\":\"10.1.0.3\"}}", (int)CniErrorCode.InvalidNetworkConfig, "after ipam.rangeEnd")]
    [InlineData("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"ipam\":{\"subnet\":\"10.1.0.0/24\",\"dataDir\":\"relative\"}}", (int)CniErrorCode.InvalidNetworkConfig, "absolute path")]
    [InlineData("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"ipam\":{\"subnet\":\"10.1.0.0/24\",\"routes\":[{\"dst\":\"nowhere\"}]}}", (int)CniErrorCode.InvalidNetworkConfig, "dst \"nowhere\"")]
    [InlineData("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.1.0.0/24\"}}", (int)CniErrorCode.UnsupportedField, "ipam.type")]
    [InlineData("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"ipam\":{\"ranges\":[],\"subnet\":\"10.1.0.0/24\"}}", (int)CniErrorCode.UnsupportedField, "ipam.ranges")]
    public void It_refuses_bad_config_with_the_spec_code_and_the_field(string json, int code, string message)
    {
        var error = Assert.Throws<CniException>(() => Parse(json));

        Assert.Equal(code, (int)error.Code);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void It_reads_prevResult_and_valid_attachments_as_a_runtime_injects_them()
    {
        var config = Parse("""
            {"cniVersion":"1.1.0","name":"n","ipam":{"subnet":"10.1.0.0/24"},
             "prevResult":{"cniVersion":"1.1.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/p"}],"ips":[{"address":"10.1.0.2/24","interface":0}]},
             "cni.dev/valid-attachments":[{"containerID":"c1","ifname":"eth0"}]}
            """);

        Assert.Equal("10.1.0.2/24", config.PrevResult!.Ips![0].Address);
        Assert.Equal([("c1", "eth0")], config.ValidAttachments!);
    }

    internal static PluginConfig Parse(string json) => ConfigParser.Validate(ConfigParser.Decode(Encoding.UTF8.GetBytes(json)));
}
