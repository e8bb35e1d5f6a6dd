using static Provisioner.Fabric.Convergence.FabricCommand;

namespace Provisioner.Fabric.Convergence.Items;

/// <summary><c>net.ipv4.ip_forward=1</c>: the node routes between its pods and the fabric. Kept on removal (the node may need it).</summary>
internal sealed record ForwardingItem : FabricItem
{
    public override int Rank => Ranks.Setting;
    public override string Line => "sysctl net.ipv4.ip_forward=1";
    public override IEnumerable<FabricCommand> Add(FabricTarget target) => [Sysctl("net.ipv4.ip_forward=1")];
    public override IEnumerable<FabricCommand> Remove(FabricTarget target) => [];
}

/// <summary>
/// A Linux bridge (linux-vxlan, routed). Created with a MAC of its own: a bridge without one takes its lowest port's,
/// which changes when a pod's veth comes or goes, and the other pods' cached gateway MAC goes stale (no answer from
/// the gateway until their ARP entry expires).
/// </summary>
internal sealed record LinuxBridgeItem(string Name) : FabricItem
{
    public override int Rank => Ranks.Device;
    public override string Line => $"bridge {Name} type=linux";
    public override IEnumerable<FabricCommand> Add(FabricTarget target) =>
        [Ip("link", "add", "name", Name, "address", Host.Netlink.RtNetlink.RandomHardwareAddress(), "type", "bridge"), Ip("link", "set", Name, "up")];
    public override IEnumerable<FabricCommand> Remove(FabricTarget target) => [Ip("link", "del", Name)];
}

/// <summary>linux-vxlan's kernel VXLAN device: fixed MAC, no learning (peers are programmed, never flooded).</summary>
internal sealed record VxlanDeviceItem(string Name, int Vni, string Local, int Port, string Mac) : FabricItem
{
    public override int Rank => Ranks.Device;
    public override string Line => $"vxlan {Name} vni={Vni} local={Local} dstport={Port} mac={Mac}";
    public override IEnumerable<FabricCommand> Add(FabricTarget target) =>
    [
        Ip("link", "add", Name, "address", Mac, "type", "vxlan", "id", $"{Vni}", "local", Local, "dstport", $"{Port}", "nolearning"),
        Ip("link", "set", Name, "up"),
    ];
    public override IEnumerable<FabricCommand> Remove(FabricTarget target) => [Ip("link", "del", Name)];
}

/// <summary>A device's MTU (the pod MTU on the bridge and the VXLAN device). Nothing to undo.</summary>
internal sealed record MtuItem(string Device, int Mtu) : FabricItem
{
    public override int Rank => Ranks.Mtu;
    public override string Line => $"mtu {Device} {Mtu}";
    public override IEnumerable<FabricCommand> Add(FabricTarget target) => [Ip("link", "set", Device, "mtu", $"{Mtu}")];
    public override IEnumerable<FabricCommand> Remove(FabricTarget target) => [];
}

/// <summary>An address on a device (the pod gateway on the bridge, the VXLAN device's subnet address).</summary>
internal sealed record AddressItem(string Device, string Cidr) : FabricItem
{
    public override int Rank => Ranks.Address;
    public override string Line => $"address {Cidr} dev {Device}";
    public override IEnumerable<FabricCommand> Add(FabricTarget target) =>
        [Ip("address", "add", Cidr, "dev", Device), Ip("link", "set", Device, "up")];
    public override IEnumerable<FabricCommand> Remove(FabricTarget target) => [Ip("address", "del", Cidr, "dev", Device)];
}

/// <summary>
/// OVS userspace datapath: the node's underlay address moves from the underlay interface (now an OVS port) to the
/// underlay bridge's internal port, so ovs-vswitchd's own tunnel stack finds a route and a bridge for the VXLAN packets.
/// Removal moves it back.
/// </summary>
internal sealed record UnderlayAddressItem(string Interface, string Bridge, string Cidr) : FabricItem
{
    public override int Rank => Ranks.Address;
    public override string Line => $"address {Cidr} dev {Bridge} moved-from={Interface}";
    public override IEnumerable<FabricCommand> Add(FabricTarget target) =>
    [
        Ip("address", "del", Cidr, "dev", Interface).OrIgnoreFailure(),
        Ip("address", "add", Cidr, "dev", Bridge),
        Ip("link", "set", Bridge, "up"),
    ];
    public override IEnumerable<FabricCommand> Remove(FabricTarget target) =>
    [
        Ip("address", "del", Cidr, "dev", Bridge).OrIgnoreFailure(),
        Ip("address", "add", Cidr, "dev", Interface).OrIgnoreFailure(),
    ];
}
