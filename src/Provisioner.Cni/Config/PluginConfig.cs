using System.Net;

namespace Provisioner.Cni.Config;

internal enum AttachMode
{
    Bridge,
    Ovs,
}

internal enum OvsDatapath
{
    System,
    Netdev,
}

/// <summary>The validated plugin configuration (see docs/cni.md for every key).</summary>
internal sealed record PluginConfig
{
    public const string DefaultBridge = "netlab0";
    public const string DefaultDataDir = "/var/lib/cni/networks";
    public const int DefaultMtu = 1500;

    public required string CniVersion { get; init; }
    public required string NetworkName { get; init; }
    public AttachMode Mode { get; init; } = AttachMode.Bridge;
    public string Bridge { get; init; } = DefaultBridge;
    public bool IsGateway { get; init; }
    public bool HairpinMode { get; init; }
    public int Mtu { get; init; } = DefaultMtu;
    public string? OvsDb { get; init; }
    public OvsDatapath Datapath { get; init; } = OvsDatapath.System;
    public string? LogFile { get; init; }
    public required IpamConfig Ipam { get; init; }
    public DnsJson? Dns { get; init; }
    public ResultJson? PrevResult { get; init; }

    /// <summary>GC only: the attachments the runtime still uses; everything else is released.</summary>
    public IReadOnlyList<(string ContainerId, string IfName)>? ValidAttachments { get; init; }
}

/// <summary>The host-local-style address range of one node.</summary>
internal sealed record IpamConfig(
    IPNetwork Subnet,
    IPAddress Gateway,
    IPAddress RangeStart,
    IPAddress RangeEnd,
    IReadOnlySet<IPAddress> Reserved,
    IReadOnlyList<IpamRoute> Routes,
    string DataDir);

/// <summary>A route to install in the pod; a null gateway means "via the IPAM gateway".</summary>
internal sealed record IpamRoute(IPNetwork Destination, IPAddress? Gateway);
