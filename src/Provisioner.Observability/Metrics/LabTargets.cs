using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;

namespace Provisioner.Observability.Metrics;

/// <summary>What a namespace is in the lab: a node, a pod, the underlay switch or the outside client.</summary>
public enum NamespaceRole { Node, Pod, Underlay, Outside }

/// <summary>A network namespace whose interfaces, TCP and conntrack counters are read.</summary>
public sealed record WatchedNamespace(string Netns, NamespaceRole Role, string Owner);

/// <summary>
/// A node whose service rules are read: the service ports resolved for it exactly as the rules engine compiled them,
/// so the chain names and map keys found in the kernel map back to the service and endpoint they serve.
/// <see cref="OvsDbSocket"/> is set where the fabric is Open vSwitch: its tunnel ports are read from OVS.
/// </summary>
public sealed record NodeTarget(string Name, string Netns, RuleBackend Backend, IReadOnlyList<ResolvedServicePort> Ports, string? OvsDbSocket = null);

/// <summary>Everything one scrape reads, rebuilt on every scrape (pods come and go with <c>netlab up</c>).</summary>
public sealed record LabTargets(string Lab, IReadOnlyList<NodeTarget> Nodes, IReadOnlyList<WatchedNamespace> Namespaces,
    IReadOnlyDictionary<string, string> PodByAddress)
{
    public string PodAt(string address) => PodByAddress.GetValueOrDefault(address, "");
}
