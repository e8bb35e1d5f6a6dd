using System.Collections.Immutable;

namespace Provisioner.Core.Model;

/// <summary>One learner's lab: everything a stack file (<c>Pulumi.&lt;stack&gt;.yaml</c>) says.</summary>
public sealed record LabConfig
{
    /// <summary>Prefix of every VM, namespace, interface and resource the lab creates.</summary>
    public required string Name { get; init; }

    public Backend Backend { get; init; } = Backend.Multipass;

    /// <summary>Ubuntu release Multipass launches (e.g. <c>24.04</c>).</summary>
    public string Image { get; init; } = "24.04";

    public KubernetesSpec Kubernetes { get; init; } = new();
    public NetworkSpec Network { get; init; } = new();
    public ImmutableArray<NodeSpec> Nodes { get; init; } = [];
    public ImmutableArray<PodSpec> Pods { get; init; } = [];
    public ImmutableArray<ServiceSpec> Services { get; init; } = [];
    public ImmutableArray<NamespaceSpec> Namespaces { get; init; } = [];
    public ImmutableArray<NetworkPolicySpec> NetworkPolicies { get; init; } = [];

    public NodeSpec ControlPlane => Nodes.First(n => n.IsControlPlane);
    public IEnumerable<NodeSpec> Workers => Nodes.Where(n => !n.IsControlPlane);
}
