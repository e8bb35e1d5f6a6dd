using Provisioner.Host.Iproute;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;

namespace Provisioner.Observability.Metrics;

/// <summary>What a namespace is in the lab: a node, a pod, the underlay switch or the outside client.</summary>
public enum NamespaceRole { Node, Pod, Underlay, Outside }

/// <summary>
/// A network namespace whose interfaces, TCP and conntrack counters are read. <see cref="Netns"/> names it (the
/// metrics' <c>namespace</c> label); <see cref="Own"/> says the process already runs in it (a VM node, or
/// <c>ip netns exec NODE netlab metrics --node</c>), so it is read as it is instead of entered by name.
/// </summary>
public sealed record WatchedNamespace(string Netns, NamespaceRole Role, string Owner)
{
    public bool Own { get; init; }
}

/// <summary>
/// A node whose service rules are read: the service ports resolved for it exactly as the rules engine compiled them,
/// so the chain names and map keys found in the kernel map back to the service and endpoint they serve.
/// <see cref="OvsDbSocket"/> is set where the fabric is Open vSwitch: its tunnel ports are read from OVS. On a node that
/// samples itself (<see cref="Own"/>) the ports are empty: the rules' own comments name their services.
/// </summary>
public sealed record NodeTarget(string Name, string Netns, RuleBackend Backend, IReadOnlyList<ResolvedServicePort> Ports, string? OvsDbSocket = null)
{
    /// <summary>The rules live in the namespace this process runs in: commands run as they are, not through <c>ip netns exec</c>.</summary>
    public bool Own { get; init; }

    /// <summary>Where a command of this node runs: <c>ip netns exec NETNS PROGRAM ...</c>, or the program itself on its own node.</summary>
    public (string Program, string[] Arguments) Command(string program, params IEnumerable<string> arguments) =>
        NetnsExec.Wrap(Own ? null : Netns, program, arguments);
}

/// <summary>Everything one scrape reads, rebuilt on every scrape (pods come and go with <c>netlab up</c>).</summary>
public sealed record LabTargets(string Lab, IReadOnlyList<NodeTarget> Nodes, IReadOnlyList<WatchedNamespace> Namespaces,
    IReadOnlyDictionary<string, string> PodByAddress)
{
    public string PodAt(string address) => PodByAddress.GetValueOrDefault(address, "");
}
