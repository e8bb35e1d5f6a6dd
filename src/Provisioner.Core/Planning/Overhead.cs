using Provisioner.Core.Model;

namespace Provisioner.Core.Planning;

public static class Overhead
{
    /// <summary>Bytes a fabric adds to each packet: VXLAN over IPv4 is 14 (inner Ethernet) + 8 (VXLAN) + 8 (UDP) + 20 (IPv4).</summary>
    public static int Of(FabricKind fabric) => fabric == FabricKind.Routed ? 0 : 50;

    public static int PodMtu(NetworkSpec network) => network.Mtu != 0 ? network.Mtu : network.UnderlayMtu - Of(network.Fabric);
}
