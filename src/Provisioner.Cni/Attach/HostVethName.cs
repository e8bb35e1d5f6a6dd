namespace Provisioner.Cni.Attach;

/// <summary>
/// The host end's name, derived from (network, container, interface) rather than random, so a DEL or GC finds a
/// veth left by an ADD that was killed before it could report it: "nlc" + 12 hex digits of an FNV-1a hash.
/// </summary>
internal static class HostVethName
{
    public const string Prefix = "nlc";

    public static string For(string network, string containerId, string ifName)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in $"{network}\0{containerId}\0{ifName}")
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        return Prefix + (hash & 0xffff_ffff_ffffUL).ToString("x12");
    }
}
