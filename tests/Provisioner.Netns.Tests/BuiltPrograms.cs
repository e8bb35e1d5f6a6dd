namespace Provisioner.Netns.Tests;

/// <summary>The lab options of every end-to-end spec: netlab-cni and netlab as this test build copied them beside it.</summary>
internal static class BuiltPrograms
{
    public static NetnsOptions Options { get; } = new()
    {
        CniPluginDirectory = AppContext.BaseDirectory,
        NetlabCommand = [Path.Combine(AppContext.BaseDirectory, "netlab")],
    };
}
