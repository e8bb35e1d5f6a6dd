using System.Collections.Immutable;

namespace Provisioner.Rendering.Models;

/// <summary>
/// The variables of <c>templates/cni/10-netlab.conflist.sbn</c> (netlab-cni's network configuration on one node).
/// Backends adjust what differs for them with <c>with</c> (the netns backend: its own data dir and OVS database).
/// </summary>
/// <param name="Mode"><c>ovs</c> for the ovs-vxlan fabric, <c>bridge</c> otherwise.</param>
/// <param name="OvsDb">The OVS database socket; empty means the default.</param>
/// <param name="Datapath"><c>system</c> (the kernel module, on VMs) or <c>netdev</c> (userspace).</param>
/// <param name="LogFile">Where netlab-cni logs; empty means no log file.</param>
public sealed record ConflistModel(
    string NetworkName, string Mode, string Bridge, bool IsGateway, int Mtu, string OvsDb, string Datapath,
    string Subnet, string Gateway, string RangeStart, string RangeEnd, string DataDir, string ClusterDns,
    ImmutableArray<string> DnsSearch, string LogFile);
