namespace Provisioner.Cni.Tests.Support;

/// <summary>The plugins the conformance specs run side by side.</summary>
public enum Plugin
{
    /// <summary>netlab-cni, bridge mode, its own IPAM.</summary>
    NetlabCni,

    /// <summary>The reference: Debian containernetworking-plugins' bridge with host-local IPAM (/usr/lib/cni).</summary>
    Reference,
}

/// <summary>Where the binaries are.</summary>
public static class PluginBinaries
{
    public const string ReferenceDirectory = "/usr/lib/cni";

    /// <summary>
    /// netlab-cni: NETLAB_CNI_BIN when set (CI points it at the NativeAOT publish), else the apphost the build copied
    /// next to these tests from the referenced project.
    /// </summary>
    public static string NetlabCni
    {
        get
        {
            var fromEnvironment = Environment.GetEnvironmentVariable("NETLAB_CNI_BIN");
            if (!string.IsNullOrEmpty(fromEnvironment))
                return fromEnvironment;
            var beside = Path.Combine(AppContext.BaseDirectory, "netlab-cni");
            return File.Exists(beside)
                ? beside
                : throw new FileNotFoundException($"netlab-cni not found at {beside}; build tests/Provisioner.Cni.Tests or set NETLAB_CNI_BIN");
        }
    }

    public static string For(Plugin plugin) => plugin == Plugin.NetlabCni ? NetlabCni : Path.Combine(ReferenceDirectory, "bridge");
}
