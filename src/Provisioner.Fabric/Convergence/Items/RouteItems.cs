using static Provisioner.Fabric.Convergence.FabricCommand;

namespace Provisioner.Fabric.Convergence.Items;

/// <summary>
/// A route to a remote pod subnet. With <paramref name="Device"/> it is an on-link route through the overlay
/// (<c>dev netlab-vxlan onlink</c>, <c>dev netlab0 onlink</c>); without, a plain next hop the kernel resolves (routed).
/// </summary>
internal sealed record RouteItem(string Destination, string Via, string? Device) : FabricItem
{
    public override int Rank => Ranks.Route;
    public override string Line => Device is null ? $"route {Destination} via {Via}" : $"route {Destination} via {Via} dev {Device} onlink";
    public override IEnumerable<FabricCommand> Add(FabricTarget target) =>
        [Ip(["route", "add", Destination, "via", Via, .. Device is null ? Array.Empty<string>() : ["dev", Device, "onlink"]])];
    public override IEnumerable<FabricCommand> Remove(FabricTarget target) =>
        [Ip(["route", "del", Destination, "via", Via, .. Device is null ? Array.Empty<string>() : ["dev", Device]])];
}

/// <summary>linux-vxlan: the permanent ARP entry of a peer's VXLAN address (flannel's way: no ARP over the overlay).</summary>
internal sealed record NeighbourItem(string Device, string Address, string Mac) : FabricItem
{
    public override int Rank => Ranks.Neighbour;
    public override string Line => $"neigh {Address} lladdr {Mac} dev {Device}";
    public override IEnumerable<FabricCommand> Add(FabricTarget target) =>
        [Ip("neigh", "replace", Address, "lladdr", Mac, "dev", Device, "nud", "permanent")];
    public override IEnumerable<FabricCommand> Remove(FabricTarget target) => [Ip("neigh", "del", Address, "dev", Device)];
}

/// <summary>linux-vxlan: the forwarding entry that sends frames for a peer's VXLAN MAC to that peer's underlay address.</summary>
internal sealed record FdbItem(string Device, string Mac, string Destination) : FabricItem
{
    public override int Rank => Ranks.Fdb;
    public override string Line => $"fdb {Mac} dst {Destination} dev {Device}";
    public override IEnumerable<FabricCommand> Add(FabricTarget target) =>
        [Bridge("fdb", "append", Mac, "dev", Device, "dst", Destination, "self", "permanent")];
    public override IEnumerable<FabricCommand> Remove(FabricTarget target) =>
        [Bridge("fdb", "del", Mac, "dev", Device, "dst", Destination, "self")];
}
