using System.Collections.Immutable;

namespace Provisioner.Deploy;

/// <summary>The local build of the binaries the nodes run (<c>netlab</c>, <c>netlab-cni</c>) for their architecture.</summary>
public static class BuildSteps
{
    public const string BinariesId = "binaries";

    /// <summary>
    /// <c>scripts/build.sh RID</c>: NativeAOT netlab-cni where the toolchain allows, else a self-contained single file
    /// (the script says which). Runs again when the sources or the architecture change.
    /// </summary>
    public static CommandStep Binaries(DeployOptions options) => new()
    {
        Id = BinariesId, PlanStepId = BinariesId, Kind = null,
        Summary = $"build netlab and netlab-cni for {options.Architecture} into {options.VmBinDir}",
        Create = Shell.Command("scripts/build.sh", options.Architecture),
        Triggers = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal)
            .Add("architecture", options.Architecture).Add("sources", options.SourceVersion),
    };

    /// <summary><c>scripts/build.sh</c>: this host's binaries (the netns backend's) into <see cref="DeployOptions.BinDir"/>.</summary>
    public static CommandStep HostBinaries(DeployOptions options) => Binaries(options with { Architecture = DeployOptions.HostArchitecture }) with
    {
        Summary = $"build netlab and netlab-cni for this host into {options.BinDir}",
        Create = Shell.Command("scripts/build.sh"),
    };
}
