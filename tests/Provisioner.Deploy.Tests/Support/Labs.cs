using Provisioner.Core.Config;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Deploy;
using Provisioner.Testing;

namespace Provisioner.Deploy.Tests;

/// <summary>The example stack (Pulumi.dev.yaml) planned for each backend, with the real renderer.</summary>
internal static class Labs
{
    public static LabConfig Example { get; } = StackFile.Load(RepoPaths.Of("Pulumi.dev.yaml"));

    public static DeployOptions Options { get; } = new() { StackName = "dev", SourceVersion = "src-0123456789abcdef", Architecture = DeployOptions.LinuxX64 };

    public static DeploymentPlan Multipass(INodeFiles? files = null, INodeComponents? components = null, LabConfig? lab = null) =>
        DeploymentPlanner.For(LabPlan.For(lab ?? Example), Options, files ?? RenderedNodeFiles.Instance, components ?? NodeComponents.Instance);

    public static DeploymentPlan Netns(INodeComponents? components = null) =>
        DeploymentPlanner.For(LabPlan.For(Example with { Backend = Backend.Netns }), Options, RenderedNodeFiles.Instance,
            components ?? NodeComponents.Instance);
}

/// <summary>The real rendering, with one file of one node changed.</summary>
internal sealed class ChangedFile(string node, string name) : INodeFiles
{
    public IReadOnlyList<NodeFile> For(LabPlan plan, string n) =>
        [.. RenderedNodeFiles.Instance.For(plan, n).Select(f => n == node && f.Name == name
            ? f with { Content = f.Content + "\n# changed", Sha256 = "changed-" + f.Sha256[..8] } : f)];
}

/// <summary>Node components with fixed trigger lines, as the fabric component will give them.</summary>
internal sealed class FixedComponents(params string[] fabricLines) : INodeComponents
{
    public NodeDocument Fabric(LabPlan plan, string node) => new($"{{\"node\":\"{node}\"}}", [.. fabricLines.Select(l => $"{node}: {l}")]);

    public NodeDocument ServiceRules(LabPlan plan, string node) => new("{}", ["web ClusterIP 10.96.0.10:80/TCP -> 8080"]);
}
