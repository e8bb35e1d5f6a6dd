namespace Provisioner.Cni.Skel;

/// <summary>The CNI spec versions netlab-cni speaks and what each allows.</summary>
internal static class CniVersions
{
    public const string Latest = "1.1.0";

    public static readonly string[] Supported = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

    public static bool IsSupported(string version) => Array.IndexOf(Supported, version) >= 0;

    /// <summary>CHECK arrived in 0.4.0.</summary>
    public static bool AllowsCheck(string version) => Compare(version, "0.4.0") >= 0;

    /// <summary>GC and STATUS arrived in 1.1.0.</summary>
    public static bool AllowsGcAndStatus(string version) => Compare(version, "1.1.0") >= 0;

    /// <summary>Results before 1.0.0 carry "version": "4" on each IP.</summary>
    public static bool IpsCarryVersion(string version) => Compare(version, "1.0.0") < 0;

    /// <summary>Interface "mtu" in results arrived in 1.1.0.</summary>
    public static bool InterfacesCarryMtu(string version) => Compare(version, "1.1.0") >= 0;

    public static int Compare(string left, string right) => Parse(left).CompareTo(Parse(right));

    private static Version Parse(string version) => Version.TryParse(version, out var parsed) ? parsed : new Version(0, 0);
}
