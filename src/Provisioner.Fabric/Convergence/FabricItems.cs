using System.Collections.Immutable;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Fabric.Convergence.Items;
using Provisioner.Fabric.Model;

namespace Provisioner.Fabric.Convergence;

/// <summary>Expands a node's desired fabric into the items the converger compares, in creation order.</summary>
internal static class FabricItems
{
    public static ImmutableArray<FabricItem> For(NodeFabric f) =>
        [.. Expand(f).Select((item, i) => (item, i)).OrderBy(x => x.item.Rank).ThenBy(x => x.i).Select(x => x.item)];

    private static IEnumerable<FabricItem> Expand(NodeFabric f)
    {
        yield return new ForwardingItem();
        var items = f.Kind switch
        {
            FabricKind.OvsVxlan => OvsVxlan(f),
            FabricKind.LinuxVxlan => LinuxBridge(f).Concat(LinuxVxlan(f)),
            FabricKind.Routed => LinuxBridge(f).Concat(f.Peers.Select(p => new RouteItem(p.PodSubnet, p.UnderlayAddress, null))),
            _ => throw new ArgumentOutOfRangeException(nameof(f), f.Kind, "unknown fabric kind"),
        };
        foreach (var item in items)
            yield return item;
    }

    private static IEnumerable<FabricItem> LinuxBridge(NodeFabric f) =>
        [new LinuxBridgeItem(FabricNames.Bridge), new MtuItem(FabricNames.Bridge, f.PodMtu), new AddressItem(FabricNames.Bridge, f.GatewayCidr)];

    /// <summary>Flannel's vxlan backend: per peer, an FDB entry (peer MAC → peer node), a permanent neighbour, an on-link route.</summary>
    private static IEnumerable<FabricItem> LinuxVxlan(NodeFabric f)
    {
        const string dev = FabricNames.VxlanDevice;
        yield return new VxlanDeviceItem(dev, f.Vni, f.UnderlayAddress, f.VxlanPort, FabricNames.VxlanMac(f.UnderlayAddress));
        yield return new MtuItem(dev, f.PodMtu);
        yield return new AddressItem(dev, $"{NetworkAddress(f.PodSubnet)}/32");
        foreach (var p in f.Peers)
        {
            var mac = FabricNames.VxlanMac(p.UnderlayAddress);
            var hop = NetworkAddress(p.PodSubnet);
            yield return new FdbItem(dev, mac, p.UnderlayAddress);
            yield return new NeighbourItem(dev, hop, mac);
            yield return new RouteItem(p.PodSubnet, hop, dev);
        }
    }

    /// <summary>
    /// OVS: one VXLAN port per peer; the node kernel routes a remote pod subnet on-link to the peer's gateway through
    /// netlab0, and flows send what leaves the node (LOCAL) for that subnet into the peer's tunnel, and what arrives from
    /// any tunnel to the node (LOCAL). Pods on the node switch with NORMAL. No flooding between tunnels, so no loops.
    /// </summary>
    private static IEnumerable<FabricItem> OvsVxlan(NodeFabric f)
    {
        const string br = FabricNames.Bridge;
        var datapath = EnumNames.Of(f.OvsDatapath ?? OvsDatapath.System);
        if (f.UsesUnderlayBridge)
        {
            const string ul = FabricNames.UnderlayBridge;
            yield return new OvsBridgeItem(ul, datapath, Secure: false);
            yield return new OvsPortItem(ul, f.UnderlayInterface!);
            yield return new UnderlayAddressItem(f.UnderlayInterface!, ul, $"{f.UnderlayAddress}/{f.UnderlayPrefix}");
        }
        yield return new OvsBridgeItem(br, datapath, Secure: true);
        yield return new OvsMtuItem(br, f.PodMtu);
        yield return new AddressItem(br, f.GatewayCidr);
        yield return FlowItem.Of(br, "priority=0 actions=NORMAL");
        foreach (var p in f.Peers)
        {
            var port = FabricNames.TunnelPort(p.Node);
            var tunnel = new OvsTunnelItem(br, port, p.UnderlayAddress, f.Vni, f.VxlanPort);
            yield return tunnel;
            yield return new RouteItem(p.PodSubnet, p.Gateway, br);
            yield return FlowItem.Of(br, $"priority=100,ip,in_port=LOCAL,nw_dst={p.PodSubnet} actions=output:{port}", tunnel.Line);
            yield return FlowItem.Of(br, $"priority=100,arp,in_port=LOCAL,arp_tpa={p.PodSubnet} actions=output:{port}", tunnel.Line);
            yield return FlowItem.Of(br, $"priority=100,in_port={port} actions=LOCAL", tunnel.Line);
        }
    }

    private static string NetworkAddress(string cidr) => Cidr.Parse(cidr).Network.ToString();
}
