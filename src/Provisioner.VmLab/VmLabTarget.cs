using System.Collections.Immutable;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Deploy;

namespace Provisioner.VmLab;

/// <summary>A node of the VM lab: its name in the stack and its Multipass VM (also its Kubernetes node name).</summary>
public sealed record VmNode(string Name, string Vm, NodeRole Role);

/// <summary>
/// Which VM lab to look at: the plan, each node's VM and the admin kubeconfig that <c>pulumi up</c> copied out of the
/// control plane (<see cref="DeploymentPlan.KubeconfigPath"/>, under the project root).
/// </summary>
public sealed record VmLabTarget(LabPlan Plan, ImmutableArray<VmNode> Nodes, string Kubeconfig)
{
    public static VmLabTarget From(DeploymentPlan deployment, string projectRoot)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        var kubeconfig = deployment.KubeconfigPath
            ?? throw new InvalidOperationException("this deployment has no Kubernetes cluster (backend netns)");
        return new VmLabTarget(deployment.Plan, [.. deployment.Nodes.Select(n => new VmNode(n.Name, n.Machine, n.Role))],
            Path.Combine(projectRoot, kubeconfig));
    }

    /// <summary>Where the deployment with <paramref name="options"/> writes the kubeconfig, without planning it.</summary>
    public static string KubeconfigOf(DeployOptions options, string projectRoot) =>
        Path.Combine(projectRoot, options?.WorkDir ?? throw new ArgumentNullException(nameof(options)), "kubeconfig");

    public LabConfig Lab => Plan.Lab;

    public VmNode Node(string name) =>
        Nodes.FirstOrDefault(n => n.Name == name) ?? throw new KeyNotFoundException($"node '{name}' is not in the stack");

    /// <summary>The kubeconfig as a learner would type it from the current directory.</summary>
    public string KubeconfigForDisplay
    {
        get
        {
            var relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), Kubeconfig);
            return relative.StartsWith("..", StringComparison.Ordinal) ? Kubeconfig : relative;
        }
    }

    /// <summary>Throws with the fix when <c>pulumi up</c> has not written the kubeconfig (yet).</summary>
    public VmLabTarget EnsureKubeconfig() =>
        File.Exists(Kubeconfig)
            ? this
            : throw new FileNotFoundException(
                $"no kubeconfig at {Kubeconfig}: the VM lab '{Lab.Name}' has not been built (or not from this directory). " +
                "Fix: run 'pulumi up' here (its kubeconfig step writes it), or pass --backend netns for the netns lab.", Kubeconfig);
}
