using System.Collections.Immutable;

namespace Provisioner.Core.Planning;

/// <summary>What a step does; each backend knows how to carry out each kind.</summary>
public enum StepKind
{
    /// <summary>netns only: the shared L2 segment the nodes' underlay interfaces join.</summary>
    Underlay,

    /// <summary>The node itself: a Multipass VM (cloud-init installs containerd and kubeadm), or a network namespace.</summary>
    Machine,

    /// <summary>netlab-cni and its conflist installed on the node (before any pod needs a network).</summary>
    Cni,

    /// <summary>The node's part of the overlay: bridge, tunnels, routes or flows.</summary>
    Fabric,

    /// <summary><c>kubeadm init</c> on the control-plane node.</summary>
    ControlPlane,

    /// <summary><c>kubeadm join</c> of a worker.</summary>
    Join,

    /// <summary>The node's Service rules (netlab service proxy).</summary>
    ServiceRules,

    /// <summary>netns only: a lab pod (namespace attached by netlab-cni, HTTP server inside).</summary>
    Pod,

    /// <summary>The admin kubeconfig copied out of the control plane.</summary>
    Kubeconfig,

    /// <summary>netns only: the cluster DNS pod's records (dnsmasq), rendered from the service table.</summary>
    ClusterDns,

    /// <summary>netns only: which node answers ARP for each LoadBalancer and external IP (MetalLB's L2 mode).</summary>
    LoadBalancer,

    /// <summary>netns only: the node's NetworkPolicy rules (and, on OVS, the flows that route its pods' traffic through them).</summary>
    NetworkPolicy,
}

/// <summary>
/// One declarative step of building a lab. Its <see cref="Id"/> is stable (it becomes a Pulumi resource name);
/// its <see cref="Triggers"/> are the meaningful inputs, one readable line each, so that a preview's diff says
/// which node, tunnel or rule changes and why.
/// </summary>
public sealed record PlanStep
{
    public required string Id { get; init; }
    public required StepKind Kind { get; init; }

    /// <summary>The node the step runs on, if any.</summary>
    public string? Node { get; init; }

    /// <summary>The pod the step creates (<see cref="StepKind.Pod"/>).</summary>
    public string? Pod { get; init; }

    public required string Summary { get; init; }
    public ImmutableArray<string> DependsOn { get; init; } = [];
    public ImmutableSortedDictionary<string, string> Triggers { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public PlanStep WithTrigger(string key, string value) => this with { Triggers = Triggers.SetItem(key, value) };
}
