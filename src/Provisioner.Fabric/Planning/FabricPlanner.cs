using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Fabric.Model;

namespace Provisioner.Fabric.Planning;

/// <summary>
/// Computes each node's desired fabric from the lab plan. Pure: no processes, same input gives the same output, and a
/// node added to the stack only adds a peer to the others' states.
/// </summary>
public static class FabricPlanner
{
    /// <summary>The desired fabric of every node of the plan.</summary>
    /// <param name="nodeAddresses">Every node's underlay address by node name: on netns, the plan's
    /// <see cref="NodeAddresses.UnderlayAddress"/> (see <see cref="PlannedUnderlayAddresses"/>); on VMs, the discovered ones.</param>
    public static ImmutableArray<NodeFabric> ForAll(LabPlan plan, IReadOnlyDictionary<string, IPAddress> nodeAddresses, FabricOptions? options = null) =>
        [.. plan.Addresses.Nodes.Select(n => For(plan, n.Node.Name, nodeAddresses, options))];

    /// <summary>The desired fabric of one node.</summary>
    public static NodeFabric For(LabPlan plan, string node, IReadOnlyDictionary<string, IPAddress> nodeAddresses, FabricOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(nodeAddresses);
        options ??= new FabricOptions();
        var network = plan.Lab.Network;
        var self = plan.Addresses.Nodes.FirstOrDefault(n => n.Node.Name == node)
            ?? throw new FabricException(node, "plan", $"the node is not in the stack (nodes: {string.Join(", ", plan.Addresses.Nodes.Select(n => n.Node.Name))})");
        var selfAddress = AddressOf(node, nodeAddresses);
        var datapath = network.Fabric == FabricKind.OvsVxlan
            ? options.OvsDatapath ?? network.OvsDatapath ?? (plan.Lab.Backend == Backend.Netns ? OvsDatapath.Netdev : OvsDatapath.System)
            : (OvsDatapath?)null;
        var prefix = plan.Addresses.NodeCidr.Cidr;

        if (datapath == OvsDatapath.Netdev && string.IsNullOrWhiteSpace(options.UnderlayInterface))
            throw new FabricException(node, "plan",
                "the OVS userspace datapath (netdev) sends tunnels through an OVS bridge holding the underlay interface; set FabricOptions.UnderlayInterface (e.g. eth0)");

        var peers = plan.Addresses.Nodes.Where(n => n.Node.Name != node)
            .OrderBy(n => n.Node.Name, StringComparer.Ordinal)
            .Select(n => new FabricPeer(n.Node.Name, AddressOf(n.Node.Name, nodeAddresses).ToString(), n.PodSubnet.ToString(), n.Gateway.ToString()))
            .ToImmutableArray();

        if (network.Fabric == FabricKind.Routed)
            EnsureSameSegment(node, selfAddress, prefix, peers);

        return new NodeFabric
        {
            Node = node,
            Kind = network.Fabric,
            Vni = network.Vni,
            PodCidr = plan.Addresses.PodCidr.ToString(),
            PodSubnet = self.PodSubnet.ToString(),
            Gateway = self.Gateway.ToString(),
            PodMtu = plan.Addresses.PodMtu,
            UnderlayAddress = selfAddress.ToString(),
            UnderlayPrefix = prefix,
            UnderlayInterface = options.UnderlayInterface,
            OvsDatapath = datapath,
            Peers = peers,
        };
    }

    /// <summary>The netns backend's node addresses: the plan's underlay addresses.</summary>
    public static IReadOnlyDictionary<string, IPAddress> PlannedUnderlayAddresses(LabPlan plan) =>
        plan.Addresses.Nodes.ToDictionary(n => n.Node.Name, n => n.UnderlayAddress, StringComparer.Ordinal);

    private static IPAddress AddressOf(string node, IReadOnlyDictionary<string, IPAddress> addresses) =>
        addresses.TryGetValue(node, out var address) && address.AddressFamily == AddressFamily.InterNetwork
            ? address
            : throw new FabricException(node, "plan", "no IPv4 underlay address is known for this node; pass it in the node address map (on VMs: the address multipass info shows)");

    /// <summary>Routed needs every next hop on-link: all nodes on one L2 segment.</summary>
    private static void EnsureSameSegment(string node, IPAddress self, int prefix, ImmutableArray<FabricPeer> peers)
    {
        var segment = IPNetwork2.Parse(self.ToString(), (byte)prefix);
        foreach (var peer in peers.Where(p => !segment.Contains(IPAddress.Parse(p.UnderlayAddress))))
            throw new FabricException(node, "plan",
                $"fabric routed needs every node on one L2 segment, but {peer.Node} ({peer.UnderlayAddress}) is outside {segment}; use ovs-vxlan or linux-vxlan, or put the nodes on one network");
    }
}
