using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Provisioner.Core.Model;
using Provisioner.Fabric.Convergence;

namespace Provisioner.Fabric.Model;

/// <summary>
/// One node's desired fabric: everything the converger needs, and nothing it has to look up. Computed by
/// <see cref="Planning.FabricPlanner"/>, serialized with <see cref="FabricJson"/> (a VM receives it as a file and runs
/// <c>netlab node fabric apply FILE</c>), and shown as <see cref="Triggers"/> lines in a preview.
/// Addresses are kept as text in canonical form (IPv4 dotted quad, CIDR with prefix) so the JSON reads as written.
/// </summary>
public sealed record NodeFabric
{
    public required string Node { get; init; }
    public required FabricKind Kind { get; init; }
    public required int Vni { get; init; }

    /// <summary>The whole cluster pod range; routes inside it that are not in the desired state are the fabric's to remove.</summary>
    public required string PodCidr { get; init; }

    /// <summary>This node's pod subnet, e.g. <c>10.244.1.0/24</c>.</summary>
    public required string PodSubnet { get; init; }

    /// <summary>The pods' gateway on the node bridge, e.g. <c>10.244.1.1</c>.</summary>
    public required string Gateway { get; init; }

    public required int PodMtu { get; init; }

    /// <summary>This node's address on the underlay (the VXLAN endpoint, the routed next hop of its peers).</summary>
    public required string UnderlayAddress { get; init; }

    /// <summary>Prefix length of the underlay network.</summary>
    public required int UnderlayPrefix { get; init; }

    /// <summary>
    /// The node's underlay interface (e.g. <c>eth0</c>). Needed by the OVS userspace datapath, whose tunnels leave
    /// through an OVS bridge holding this interface; unused otherwise.
    /// </summary>
    public string? UnderlayInterface { get; init; }

    /// <summary>The OVS datapath (ovs-vxlan only; null for the other kinds).</summary>
    public OvsDatapath? OvsDatapath { get; init; }

    public int VxlanPort { get; init; } = FabricNames.VxlanUdpPort;

    /// <summary>Every other node, ordered by name.</summary>
    public ImmutableArray<FabricPeer> Peers { get; init; } = [];

    /// <summary>The pod gateway with its prefix, as it sits on the node bridge: <c>10.244.1.1/24</c>.</summary>
    [JsonIgnore]
    public string GatewayCidr => $"{Gateway}/{PodSubnet.Split('/')[1]}";

    /// <summary>True when OVS tunnels leave through an OVS underlay bridge (userspace datapath).</summary>
    [JsonIgnore]
    public bool UsesUnderlayBridge => Kind == FabricKind.OvsVxlan && OvsDatapath == Core.Model.OvsDatapath.Netdev;

    /// <summary>
    /// One readable line per thing the fabric puts on the node (bridge, tunnel, route, flow...), in apply order.
    /// These are exactly the items the converger compares, so a changed line is a changed resource.
    /// </summary>
    [JsonIgnore]
    public ImmutableArray<string> Triggers => [.. FabricItems.For(this).Select(i => i.Line)];

    public bool Equals(NodeFabric? other) =>
        other is not null && FabricJson.Serialize(this) == FabricJson.Serialize(other);

    public override int GetHashCode() => FabricJson.Serialize(this).GetHashCode(StringComparison.Ordinal);
}

/// <summary>Another node as this node's fabric sees it.</summary>
/// <param name="Node">Its name (≤ 12 characters, so <c>vx-&lt;node&gt;</c> fits an interface name).</param>
/// <param name="UnderlayAddress">Its underlay address: the tunnel's remote end, or the routed next hop.</param>
/// <param name="PodSubnet">Its pod subnet, routed through the tunnel or next hop.</param>
/// <param name="Gateway">Its pod gateway (the on-link next hop over OVS).</param>
public sealed record FabricPeer(string Node, string UnderlayAddress, string PodSubnet, string Gateway);
