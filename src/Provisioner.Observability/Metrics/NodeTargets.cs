using Provisioner.ServiceRules.Applying;

namespace Provisioner.Observability.Metrics;

/// <summary>
/// The targets of one node sampling itself (<c>netlab metrics --node NAME</c>, as each VM node runs it): the network
/// namespace the process runs in, read as it is (no <c>ip netns exec</c>), its service rules named by their own
/// comments (no stack file or API on the node), and its Open vSwitch tunnel ports where an OVS database is given. The
/// node's interfaces include its pods' host-side veths and its tunnel device, so pod and tunnel traffic are both there.
/// </summary>
public static class NodeTargets
{
    /// <summary>Open vSwitch's database socket as Debian and Ubuntu's openvswitch-switch runs it (the VM lab's OVS).</summary>
    public const string SystemOvsDbSocket = "/run/openvswitch/db.sock";

    /// <param name="node">The node's name in the lab (the <c>node</c> and <c>owner</c> labels).</param>
    /// <param name="netns">The <c>namespace</c> label: the lab's name for the node's namespace (<c>LAB-NODE</c>, the VM's hostname).</param>
    public static LabTargets Build(string node, string netns, RuleBackend backend, string? ovsDbSocket) =>
        new(netns, [new NodeTarget(node, netns, backend, [], ovsDbSocket) { Own = true }],
            [new WatchedNamespace(netns, NamespaceRole.Node, node) { Own = true }],
            new Dictionary<string, string>(StringComparer.Ordinal));
}
