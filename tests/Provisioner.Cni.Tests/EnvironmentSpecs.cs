using Provisioner.Cni.Skel;
using Xunit;

namespace Provisioner.Cni.Tests;

public sealed class EnvironmentSpecs
{
    private static readonly Dictionary<string, string?> Add = new()
    {
        ["CNI_COMMAND"] = "ADD", ["CNI_CONTAINERID"] = "abc", ["CNI_NETNS"] = "/run/netns/p", ["CNI_IFNAME"] = "eth0", ["CNI_PATH"] = "/opt/cni/bin",
    };

    [Fact]
    public void I_can_read_a_runtimes_variables()
    {
        var env = CniEnvironment.Read(Add.GetValueOrDefault);

        Assert.Equal(new CniEnvironment("ADD", "abc", "/run/netns/p", "eth0", null, "/opt/cni/bin"), env);
    }

    [Theory]
    [InlineData("CNI_COMMAND", null, "CNI_COMMAND is not set")]
    [InlineData("CNI_COMMAND", "ATTACH", "CNI_COMMAND \"ATTACH\" is unknown")]
    [InlineData("CNI_CONTAINERID", null, "CNI_CONTAINERID")]
    [InlineData("CNI_CONTAINERID", "-x", "must start with a letter or digit")]
    [InlineData("CNI_CONTAINERID", "a b", "CNI_CONTAINERID \"a b\" is invalid")]
    [InlineData("CNI_NETNS", null, "CNI_NETNS")]
    [InlineData("CNI_IFNAME", "this-name-is-too-long", "at most 15 characters")]
    [InlineData("CNI_IFNAME", "..", "not '.' or '..'")]
    [InlineData("CNI_IFNAME", "eth:0", "no '/', ':'")]
    [InlineData("CNI_PATH", null, "CNI_PATH is not set")]
    public void It_refuses_a_missing_or_malformed_variable_with_code_4(string name, string? value, string message)
    {
        var env = new Dictionary<string, string?>(Add) { [name] = value };

        var error = Assert.Throws<CniException>(() => CniEnvironment.Read(env.GetValueOrDefault));

        Assert.Equal(CniErrorCode.InvalidEnvironment, error.Code);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void DEL_does_not_need_a_namespace_and_VERSION_needs_nothing_else()
    {
        var del = new Dictionary<string, string?>(Add) { ["CNI_COMMAND"] = "DEL", ["CNI_NETNS"] = null };

        Assert.Null(CniEnvironment.Read(del.GetValueOrDefault).Netns);
        Assert.Equal("VERSION", CniEnvironment.Read(new Dictionary<string, string?> { ["CNI_COMMAND"] = "VERSION" }.GetValueOrDefault).Command);
    }
}
