using System.Net;

namespace Provisioner.Fabric.Model;

/// <summary>The names of everything the fabric creates on a node; other components (the CNI) use them too.</summary>
public static class FabricNames
{
    /// <summary>The node bridge pods attach to: a Linux bridge, or the OVS integration bridge. Holds the pod gateway.</summary>
    public const string Bridge = Core.Model.NetworkSpec.NodeBridge;

    /// <summary>A netns lab node's underlay interface (its veth into the lab's underlay bridge).</summary>
    public const string NetnsUnderlayInterface = "eth0";

    /// <summary>linux-vxlan's kernel VXLAN device.</summary>
    public const string VxlanDevice = "netlab-vxlan";

    /// <summary>The OVS bridge holding the underlay interface (userspace datapath only); its internal port carries the node address.</summary>
    public const string UnderlayBridge = "netlab-ul";

    /// <summary>IANA's VXLAN port.</summary>
    public const int VxlanUdpPort = 4789;

    /// <summary>Marks the OpenFlow flows netlab owns: the top 16 bits of their cookie ("nl").</summary>
    public const ulong FlowCookieTag = 0x6e6c_0000_0000_0000;

    public const ulong FlowCookieMask = 0xffff_0000_0000_0000;

    /// <summary>The OVS VXLAN port towards a peer.</summary>
    public static string TunnelPort(string peer) => $"vx-{peer}";

    /// <summary>
    /// linux-vxlan's device MAC on a node: locally administered, derived from the node's underlay address so every
    /// node can compute its peers' MACs (no learning, no flooding): <c>0e:6e:</c> + the four address bytes.
    /// </summary>
    public static string VxlanMac(string underlayAddress)
    {
        var b = IPAddress.Parse(underlayAddress).GetAddressBytes();
        return $"0e:6e:{b[0]:x2}:{b[1]:x2}:{b[2]:x2}:{b[3]:x2}";
    }
}
