using System.CommandLine;
using Provisioner.Core.Config;
using Provisioner.Core.Config.Cache;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Netns;

namespace Provisioner.Cli.Commands;

/// <summary>
/// A stack opened as a netns lab: <c>netlab up</c> and its companions always build the networking in namespaces on
/// this host, whatever the stack's <c>backend</c> (which is for <c>pulumi up</c>).
/// </summary>
internal sealed record LabSession(LabPlan Plan, NetnsOptions Options, NetnsLab Lab)
{
    public static Option<DirectoryInfo?> CniDirectory() => new("--cni-dir")
    {
        Description = "Directory holding netlab-cni (default: next to netlab, else /opt/cni/bin)",
        HelpName = "DIR",
    };

    /// <summary>Stacks read before, by content (tmpfs, like the labs' state; a lab cannot be named <c>.stacks</c>).</summary>
    public static StackCache Stacks { get; } = new(Path.Combine(LabLayout.DefaultStateRoot, ".stacks"));

    public static LabSession Open(FileInfo stack, DirectoryInfo? cniDirectory = null) =>
        From(Core.Diagnostics.PhaseTimer.Time("read and validate the stack", () => Stacks.Load(stack.FullName)), cniDirectory);

    /// <summary>A session over a stack's text (e.g. the record of what a step was applied from).</summary>
    public static LabSession Parse(string stackText, string source, DirectoryInfo? cniDirectory = null) =>
        From(StackFile.Parse(stackText, source), cniDirectory);

    private static LabSession From(LabConfig config, DirectoryInfo? cniDirectory)
    {
        var lab = config.Backend == Backend.Netns ? config : config with { Backend = Backend.Netns }; // the same object is validated once
        var plan = Core.Diagnostics.PhaseTimer.Time("plan the lab", () => LabPlan.For(lab));
        var options = new NetnsOptions { CniPluginDirectory = cniDirectory?.FullName ?? NetnsOptions.DefaultCniPluginDirectory() };
        return new LabSession(plan, options, NetnsLabBuilder.Create(plan, options));
    }

    public string? PodAddress(string pod) =>
        NetnsLabBuilder.PodReconciler(Plan, Options, Host.Processes.ProcessRunner.Default, Lab.Layout).AddressOf(pod);
}
