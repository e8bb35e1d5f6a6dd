namespace Provisioner.Multipass;

/// <summary>What <c>multipass launch</c> needs for one VM.</summary>
/// <param name="Memory">As Multipass writes sizes: <c>4G</c>, <c>512M</c>.</param>
/// <param name="CloudInitFile">Path of the rendered user-data on this machine.</param>
public sealed record LaunchSpec(string Name, string Image, int Cpus, string Memory, string Disk, string CloudInitFile, TimeSpan Timeout)
{
    /// <summary>Launch and cloud-init on a fresh VM (package downloads included) take minutes; Multipass's own default is 5.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(15);
}
