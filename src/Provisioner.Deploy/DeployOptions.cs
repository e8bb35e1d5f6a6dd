using System.Runtime.InteropServices;
using Provisioner.Multipass;

namespace Provisioner.Deploy;

/// <summary>Where and for what the lab is deployed: the stack, the VMs' architecture, the version of netlab's binaries.</summary>
public sealed record DeployOptions
{
    public const string LinuxX64 = "linux-x64";
    public const string LinuxArm64 = "linux-arm64";

    /// <summary>The Pulumi stack (also the stack file <c>Pulumi.&lt;stack&gt;.yaml</c>).</summary>
    public required string StackName { get; init; }

    /// <summary>
    /// The .NET runtime identifier the nodes' binaries are built for. Multipass VMs have the host's architecture
    /// (arm64 on Apple Silicon), which is the default.
    /// </summary>
    public string Architecture { get; init; } = HostArchitecture;

    /// <summary>What the binaries are built from (a hash of the sources, or a version): the build step's trigger.</summary>
    public required string SourceVersion { get; init; }

    /// <summary>Launch timeout per VM (image download and first boot).</summary>
    public TimeSpan LaunchTimeout { get; init; } = LaunchSpec.DefaultTimeout;

    /// <summary>The stack file, relative to the project root.</summary>
    public string StackFile => $"Pulumi.{StackName}.yaml";

    /// <summary>The stack's work directory (rendered files, kubeconfig), relative to the project root.</summary>
    public string WorkDir => $".netlab/{StackName}";

    /// <summary>
    /// Where <c>scripts/build.sh</c> (no RID) puts this host's <c>netlab</c> and <c>netlab-cni</c>, relative to the project
    /// root: the netns backend's. netlab there needs the installed .NET, so nothing in it may reach a VM.
    /// </summary>
    public string BinDir { get; init; } = "out/bin";

    /// <summary>Where <c>scripts/build.sh RID</c> puts the VMs' self-contained binaries: <c>out/&lt;rid&gt;</c>.</summary>
    public string VmBinDir => $"out/{Architecture}";

    /// <summary>Whether the steps would run on Windows (a parameter so that the refusal can be tested anywhere).</summary>
    public bool HostIsWindows { get; init; } = OperatingSystem.IsWindows();

    public static string HostArchitecture =>
        RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? LinuxArm64 : LinuxX64;

    /// <summary>
    /// Throws with the fix, before anything runs, on Windows (every step is a POSIX <c>sh</c> command, and Multipass for
    /// Windows does not pass stdin through, which the joins need) and when <see cref="Architecture"/> is not one
    /// netlab builds for.
    /// </summary>
    public DeployOptions Validated()
    {
        if (HostIsWindows)
            throw new PlatformNotSupportedException("netlab's steps are POSIX sh commands and pipe the join token through " +
                "'multipass exec' stdin, which Multipass for Windows does not pass on. Fix: run pulumi on Linux or macOS");
        return Architecture is LinuxX64 or LinuxArm64
            ? this
            : throw new ArgumentException($"architecture '{Architecture}' is not supported; use {LinuxX64} or {LinuxArm64}");
    }
}
