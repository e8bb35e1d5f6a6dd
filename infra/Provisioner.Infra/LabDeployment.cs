using System.Collections.Immutable;
using Provisioner.Core.Validation;
using Provisioner.Deploy;
using Pulumi;

namespace Provisioner.Infra;

/// <summary>
/// The stack: reads the lab's config once, plans its command steps and declares them under one
/// <see cref="LabCluster"/>. A bad config stops here with every problem and its <c>pulumi config set</c> fix.
/// </summary>
public sealed class LabDeployment : Stack
{
    /// <summary>Overrides the project root (the directory of Pulumi.yaml), for tests.</summary>
    public const string ProjectRootVariable = "NETLAB_PROJECT_ROOT";

    [Output("nodes")]
    public Output<ImmutableArray<string>> Nodes { get; private set; }

    [Output("nodeAddresses")]
    public Output<ImmutableDictionary<string, string>> NodeAddresses { get; private set; }

    [Output("controlPlaneEndpoint")]
    public Output<string?> ControlPlaneEndpoint { get; private set; }

    [Output("kubeconfigPath")]
    public Output<string?> KubeconfigPath { get; private set; }

    public LabDeployment() : this(null) { }

    /// <summary>Every configured key: the engine hands the program the whole stack config as JSON in PULUMI_CONFIG.</summary>
    private static IEnumerable<string> ConfiguredKeys()
    {
        var json = Environment.GetEnvironmentVariable("PULUMI_CONFIG");
        if (string.IsNullOrWhiteSpace(json))
            return [];
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateObject().Select(p => p.Name)];
    }

    /// <summary>With stack options, e.g. a transformation that lets a test observe every resource's options.</summary>
    public LabDeployment(StackOptions? options) : base(options)
    {
        var root = Environment.GetEnvironmentVariable(ProjectRootVariable) ?? SourceFingerprint.FindProjectRoot(Directory.GetCurrentDirectory());
        var deployConfig = new Config("deploy");
        var deploy = new DeployOptions
        {
            StackName = Deployment.Instance.StackName,
            Architecture = deployConfig.Get("architecture") ?? DeployOptions.HostArchitecture,
            SourceVersion = SourceFingerprint.Compute(root),
        };
        var config = new Config();
        DeploymentPlan plan;
        try
        {
            plan = DeploymentPlanner.FromConfig(config.Get, deploy, RenderedNodeFiles.Instance, NodeComponents.Instance, ConfiguredKeys());
        }
        catch (Exception e) when (e is LabConfigException or ArgumentException or PlatformNotSupportedException)
        {
            throw new RunException(e.Message); // printed without a stack trace; nothing has been declared
        }
        if (!Deployment.Instance.IsDryRun)
            LocalFiles.Write(root, plan.LocalFiles);

        var cluster = new LabCluster(plan.ResourcePrefix, plan);
        Nodes = Output.Create(plan.Nodes.Select(n => n.Name).ToImmutableArray());
        NodeAddresses = cluster.NodeAddresses;
        ControlPlaneEndpoint = cluster.ControlPlaneEndpoint;
        KubeconfigPath = Output.Create(plan.KubeconfigPath is null ? null : Path.Combine(root, plan.KubeconfigPath));
    }
}
