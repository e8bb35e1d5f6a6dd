using System.Net;
using Provisioner.Host.Namespaces;

namespace Provisioner.Host.Netlink;

/// <summary>A network interface as the kernel reports it (RTM_NEWLINK).</summary>
/// <param name="Kind">The link kind from IFLA_INFO_KIND ("veth", "bridge", "vxlan", "openvswitch", …), null for plain devices.</param>
/// <param name="HardwareAddress">The MAC as aa:bb:cc:dd:ee:ff, null when the link has none.</param>
/// <param name="MasterIndex">The index of the bridge (or other master) the link is enslaved to, null when none.</param>
public sealed record LinkInfo(int Index, string Name, string? Kind, string? HardwareAddress, int Mtu, int? MasterIndex, bool IsUp)
{
    /// <summary>
    /// IFLA_LINK: the link this one is attached to; for a veth, its peer's index, counted in the peer's namespace.
    /// Null when the kernel reports none (or the link points to itself).
    /// </summary>
    public int? LinkIndex { get; init; }
}

/// <summary>An address on a link (RTM_NEWADDR).</summary>
public sealed record AddressInfo(int LinkIndex, IPAddress Address, int PrefixLength)
{
    public override string ToString() => $"{Address}/{PrefixLength}";
}

/// <summary>A route in a routing table (RTM_NEWROUTE). A null <see cref="Destination"/> is the default route.</summary>
public sealed record RouteInfo(IPAddress? Destination, int DestinationLength, IPAddress? Gateway, int? OutputLinkIndex, int Table = RtNetlink.MainTable)
{
    public override string ToString() =>
        (Destination is null ? "default" : $"{Destination}/{DestinationLength}") + (Gateway is null ? "" : $" via {Gateway}") +
        (OutputLinkIndex is null ? "" : $" dev #{OutputLinkIndex}");
}

/// <summary>
/// A veth pair to create in one request: <see cref="Name"/> in the socket's namespace, <see cref="PeerName"/> in
/// <see cref="PeerNamespace"/> (the same namespace when null). Both ends get <see cref="Mtu"/>; the local end comes
/// up when <see cref="Up"/> (the peer stays down: the kernel cannot open it before the pair is linked, so bring it up
/// from its namespace) and is enslaved to <see cref="MasterIndex"/> when given.
/// </summary>
public sealed record VethRequest(string Name, string PeerName)
{
    public NetworkNamespace? PeerNamespace { get; init; }

    /// <summary>The peer's MAC (aa:bb:cc:dd:ee:ff); the kernel picks a random one when null.</summary>
    public string? PeerHardwareAddress { get; init; }

    public int? Mtu { get; init; }

    public int? MasterIndex { get; init; }

    public bool Up { get; init; } = true;
}
