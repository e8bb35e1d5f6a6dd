using System.Net;
using System.Net.Sockets;

namespace Provisioner.Fabric.Model;

/// <summary>
/// A fabric document whose underlay addresses are filled in when it is applied. On VMs the addresses are known only
/// once the VMs run, so the planned document leaves them empty (<see cref="Pending"/>) and
/// <c>netlab node fabric apply FILE --node-address NAME=IP ...</c> supplies them; everything else is planned.
/// </summary>
public static class NodeFabricAddresses
{
    /// <summary>The text of an address that is given at apply time.</summary>
    public const string Pending = "";

    /// <summary>The same fabric with every underlay address (this node's and its peers') left to apply time.</summary>
    public static NodeFabric WithoutAddresses(this NodeFabric fabric)
    {
        ArgumentNullException.ThrowIfNull(fabric);
        return fabric with
        {
            UnderlayAddress = Pending,
            Peers = [.. fabric.Peers.Select(p => p with { UnderlayAddress = Pending })],
        };
    }

    /// <summary>
    /// Fills (or replaces) addresses by node name. Refuses names that are neither the node nor a peer, and a document
    /// still missing an address afterwards, each with the fix.
    /// </summary>
    public static NodeFabric WithAddresses(this NodeFabric fabric, IReadOnlyDictionary<string, IPAddress> addresses)
    {
        ArgumentNullException.ThrowIfNull(fabric);
        ArgumentNullException.ThrowIfNull(addresses);
        var known = fabric.Peers.Select(p => p.Node).Append(fabric.Node).ToHashSet(StringComparer.Ordinal);
        var unknown = addresses.Keys.Where(k => !known.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
            throw new FabricException(fabric.Node, "addresses",
                $"--node-address names {string.Join(", ", unknown)}, which the fabric document does not know (nodes: {string.Join(", ", known.Order(StringComparer.Ordinal))}); " +
                "fix the name, or regenerate the document from the current stack");
        foreach (var (node, address) in addresses)
        {
            if (address.AddressFamily != AddressFamily.InterNetwork)
                throw new FabricException(fabric.Node, "addresses", $"the address of {node} ({address}) is not IPv4; the fabric's underlay is IPv4");
        }

        string Address(string node, string current) => addresses.TryGetValue(node, out var a) ? a.ToString() : current;
        var filled = fabric with
        {
            UnderlayAddress = Address(fabric.Node, fabric.UnderlayAddress),
            Peers = [.. fabric.Peers.Select(p => p with { UnderlayAddress = Address(p.Node, p.UnderlayAddress) })],
        };
        var missing = filled.Peers.Select(p => (p.Node, p.UnderlayAddress)).Prepend((filled.Node, filled.UnderlayAddress))
            .Where(n => !IPAddress.TryParse(n.UnderlayAddress, out _)).Select(n => n.Node).ToList();
        return missing.Count == 0
            ? filled
            : throw new FabricException(fabric.Node, "addresses",
                $"no underlay address for {string.Join(", ", missing)}; pass {string.Join(" ", missing.Select(m => $"--node-address {m}=IP"))}");
    }
}
