using System.CommandLine;
using System.Text.RegularExpressions;
using Provisioner.Core.Config;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Deploy;
using Provisioner.Host.Processes;
using Provisioner.VmLab;
using Provisioner.VmLab.Cluster;
using Provisioner.VmLab.Verify;

namespace Provisioner.Cli.Commands;

/// <summary>
/// Which lab <c>verify</c> and <c>status</c> look at: the netns lab on this host, or the VM lab <c>pulumi up</c> built
/// from the same stack (its VMs and the kubeconfig it wrote under <c>.netlab/&lt;stack&gt;/</c> beside the stack file).
/// </summary>
internal static partial class VmLabSession
{
    public const string Netns = "netns";
    public const string Multipass = "multipass";

    public static Option<string?> Backend()
    {
        var option = new Option<string?>("--backend")
        {
            Description = "The lab to look at: netns (namespaces on this host) or multipass (the VMs pulumi up built). " +
                "Default: multipass when the stack's backend is multipass and pulumi up wrote its kubeconfig, else netns",
            HelpName = "netns|multipass",
        };
        option.AcceptOnlyFromAmong(Netns, Multipass);
        return option;
    }

    /// <summary>The VM lab to look at, or null for the netns lab.</summary>
    public static VmLabTarget? Choose(FileInfo stack, string? backend)
    {
        if (backend == Netns)
            return null;
        var lab = StackFile.Load(stack.FullName);
        if (backend is null && lab.Backend != Core.Model.Backend.Multipass)
            return null;
        var root = stack.DirectoryName ?? Directory.GetCurrentDirectory();
        var options = new DeployOptions { StackName = StackName(stack, lab), SourceVersion = "netlab" };
        if (backend is null && !File.Exists(VmLabTarget.KubeconfigOf(options, root)))
            return null; // no VM lab built from here: the netns lab, as before (and nothing of the VM plan is computed)
        var deployment = DeploymentPlanner.For(LabPlan.For(lab with { Backend = Core.Model.Backend.Multipass }), options,
            RenderedNodeFiles.Instance, NodeComponents.Instance);
        return VmLabTarget.From(deployment, root).EnsureKubeconfig();
    }

    public static VmProbes Probes(VmLabTarget target) =>
        new(ProcessRunner.Default, new Kubectl(ProcessRunner.Default, target.Kubeconfig), new HostHttp());

    /// <summary><c>Pulumi.dev.yaml</c> is stack <c>dev</c>; another file name falls back to the lab's name.</summary>
    private static string StackName(FileInfo stack, LabConfig lab) =>
        StackFileName().Match(stack.Name) is { Success: true } m ? m.Groups[1].Value : lab.Name;

    [GeneratedRegex(@"^Pulumi\.(.+)\.ya?ml$")]
    private static partial Regex StackFileName();
}
