using System.Text;
using System.Text.Json.Nodes;
using Provisioner.Cni.Skel;
using Xunit;

namespace Provisioner.Cni.Tests;

/// <summary>The verb dispatch and error JSON, run in-process (no namespaces touched: each case fails before netlink).</summary>
public sealed class PluginSkelSpecs
{
    private const string Config = """{"cniVersion":"1.0.0","name":"n","ipam":{"subnet":"10.1.0.0/24","dataDir":"/nonexistent"}}""";

    [Fact]
    public void Every_exception_type_of_netlab_cni_derives_from_the_one_root() =>
        Assert.Empty(Provisioner.Testing.ExceptionRoot.StrayTypes(typeof(CniException).Assembly));

    [Fact]
    public void VERSION_lists_0_3_0_to_1_1_0()
    {
        var (exit, json) = Run(new() { ["CNI_COMMAND"] = "VERSION" }, """{"cniVersion":"0.4.0"}""");

        Assert.Equal(0, exit);
        Assert.Equal("0.4.0", json["cniVersion"]!.GetValue<string>());
        Assert.Equal(["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"], json["supportedVersions"]!.AsArray().Select(v => v!.GetValue<string>()));
    }

    [Theory]
    [InlineData("GC", "does not allow GC")]
    [InlineData("STATUS", "does not allow STATUS")]
    public void GC_and_STATUS_are_refused_below_1_1_0_with_code_1(string command, string message)
    {
        var (exit, json) = Run(new() { ["CNI_COMMAND"] = command, ["CNI_PATH"] = "/opt/cni/bin" }, Config);

        Assert.Equal(1, exit);
        Assert.Equal(1, json["code"]!.GetValue<int>());
        Assert.Contains(message, json["msg"]!.GetValue<string>());
        Assert.Equal("1.0.0", json["cniVersion"]!.GetValue<string>());
    }

    [Fact]
    public void CHECK_is_refused_below_0_4_0()
    {
        var env = new Dictionary<string, string?>
        {
            ["CNI_COMMAND"] = "CHECK", ["CNI_CONTAINERID"] = "c", ["CNI_NETNS"] = "/run/netns/x", ["CNI_IFNAME"] = "eth0", ["CNI_PATH"] = "/p",
        };

        var (exit, json) = Run(env, Config.Replace("\"cniVersion\":\"1.0.0\"", "\"cniVersion\":\"0.3.1\"", StringComparison.Ordinal));

        Assert.Equal(1, exit);
        Assert.Equal(1, json["code"]!.GetValue<int>());
        Assert.Contains("does not allow CHECK", json["msg"]!.GetValue<string>());
    }

    [Fact]
    public void Errors_are_spec_JSON_with_code_and_msg()
    {
        var (exit, json) = Run(new() { ["CNI_COMMAND"] = "ADD" }, Config);

        Assert.Equal(1, exit);
        Assert.Equal(4, json["code"]!.GetValue<int>());
        Assert.Equal("1.1.0", json["cniVersion"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(json["msg"]!.GetValue<string>()));
    }

    private static (int Exit, JsonNode Json) Run(Dictionary<string, string?> env, string stdin)
    {
        using var input = new MemoryStream(Encoding.UTF8.GetBytes(stdin));
        using var output = new MemoryStream();
        var exit = CniPlugin.Run(env.GetValueOrDefault, input, output);
        return (exit, JsonNode.Parse(output.ToArray())!);
    }
}
