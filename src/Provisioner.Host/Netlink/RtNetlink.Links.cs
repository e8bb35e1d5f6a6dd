using System.Buffers.Binary;

namespace Provisioner.Host.Netlink;

public sealed partial class RtNetlink
{
    private const ushort IflaAddress = 1;
    private const ushort IflaIfName = 3;
    private const ushort IflaMtu = 4;
    private const ushort IflaLink = 5;
    private const ushort IflaMaster = 10;
    private const ushort IflaProtInfo = 12;
    private const ushort IflaLinkInfo = 18;
    private const ushort IflaNetNsFd = 28;
    private const ushort IflaInfoKind = 1;
    private const ushort IflaInfoData = 2;
    private const ushort VethInfoPeer = 1;
    private const ushort IflaBrportMode = 4;
    private const ushort NestedFlag = 0x8000;
    private const uint IffUp = 1;

    /// <summary>The link named <paramref name="name"/>, or null when there is none.</summary>
    public LinkInfo? FindLink(string name)
    {
        try
        {
            var replies = Request(Message(RtmGetLink, 0).IfInfo().Attribute(IflaIfName, name), $"get link {name}");
            return replies.Count == 0 ? null : ParseLink(replies[0].Payload);
        }
        catch (NetlinkException e) when (e.NotFound)
        {
            return null;
        }
    }

    /// <summary>The link named <paramref name="name"/>; throws (ENODEV) when there is none.</summary>
    public LinkInfo GetLink(string name) =>
        FindLink(name) ?? throw new NetlinkException($"get link {name}", NetlinkException.ENoDev, "no such interface");

    /// <summary>Every link in the namespace.</summary>
    public IReadOnlyList<LinkInfo> ListLinks() =>
        Request(Message(RtmGetLink, FlagDump).IfInfo(), "list links").Where(r => r.Type == RtmNewLink).Select(r => ParseLink(r.Payload)).ToList();

    /// <summary>
    /// Creates a Linux bridge (down; bring it up with <see cref="SetUp"/>). Throws EEXIST when the name is taken.
    /// Give it a <paramref name="hardwareAddress"/> to keep its MAC fixed: otherwise a bridge takes the lowest MAC of
    /// its ports, which changes as pods come and go and leaves stale gateway ARP entries in the pods.
    /// </summary>
    public void CreateBridge(string name, int? mtu = null, string? hardwareAddress = null)
    {
        var message = Message(RtmNewLink, FlagAck | FlagCreate | FlagExclusive).IfInfo().Attribute(IflaIfName, name);
        if (mtu is { } m)
            message.Attribute(IflaMtu, (uint)m);
        if (hardwareAddress is not null)
            message.Attribute(IflaAddress, ParseHardwareAddress(hardwareAddress));
        var linkInfo = message.BeginNested(IflaLinkInfo);
        message.Attribute(IflaInfoKind, "bridge").EndNested(linkInfo);
        Request(message, $"create bridge {name}");
    }

    /// <summary>
    /// Creates a veth pair in one request and returns the local end; the peer is created directly in its target
    /// namespace under its final name, so there is never a half-moved interface to clean up. The kernel echoes the new
    /// link back (NLM_F_ECHO, Linux 6.1+), which saves a lookup; older kernels get one.
    /// </summary>
    public LinkInfo CreateVeth(VethRequest veth)
    {
        var flags = veth.Up ? IffUp : 0;
        var message = Message(RtmNewLink, FlagAck | FlagEcho | FlagCreate | FlagExclusive).IfInfo(flags: flags, change: flags)
            .Attribute(IflaIfName, veth.Name);
        if (veth.Mtu is { } mtu)
            message.Attribute(IflaMtu, (uint)mtu);
        if (veth.MasterIndex is { } master)
            message.Attribute(IflaMaster, (uint)master);
        var linkInfo = message.BeginNested(IflaLinkInfo);
        message.Attribute(IflaInfoKind, "veth");
        var data = message.BeginNested(IflaInfoData);
        var peer = message.BeginNested(VethInfoPeer);
        // The peer cannot be brought up here: veth_open fails with ENOTCONN until the pair is linked.
        message.IfInfo().Attribute(IflaIfName, veth.PeerName);
        if (veth.PeerHardwareAddress is { } mac)
            message.Attribute(IflaAddress, ParseHardwareAddress(mac));
        if (veth.Mtu is { } peerMtu)
            message.Attribute(IflaMtu, (uint)peerMtu);
        if (veth.PeerNamespace is { } ns)
            message.Attribute(IflaNetNsFd, (uint)ns.Fd);
        message.EndNested(peer).EndNested(data).EndNested(linkInfo);
        var echoed = Request(message, $"create veth {veth.Name} (peer {veth.PeerName})")
            .Where(r => r.Type == RtmNewLink).Select(r => ParseLink(r.Payload)).FirstOrDefault(l => l.Name == veth.Name);
        return echoed is null ? GetLink(veth.Name) : echoed with { MasterIndex = echoed.MasterIndex ?? veth.MasterIndex };
    }

    /// <summary>Deletes a link (both ends of a veth go together). Returns false when it was already gone.</summary>
    public bool DeleteLink(string name)
    {
        try
        {
            Request(Message(RtmDelLink, FlagAck).IfInfo().Attribute(IflaIfName, name), $"delete link {name}");
            return true;
        }
        catch (NetlinkException e) when (e.NotFound)
        {
            return false;
        }
    }

    public void SetUp(int index, bool up = true) =>
        Request(Message(RtmNewLink, FlagAck).IfInfo(index: index, flags: up ? IffUp : 0, change: IffUp), $"set link #{index} {(up ? "up" : "down")}");

    public void SetMtu(int index, int mtu) =>
        Request(Message(RtmNewLink, FlagAck).IfInfo(index: index).Attribute(IflaMtu, (uint)mtu), $"set link #{index} mtu {mtu}");

    /// <summary>Enslaves a link to a bridge (or detaches it with master 0).</summary>
    public void SetMaster(int index, int masterIndex) =>
        Request(Message(RtmNewLink, FlagAck).IfInfo(index: index).Attribute(IflaMaster, (uint)masterIndex), $"set link #{index} master #{masterIndex}");

    /// <summary>
    /// Hairpin mode on a bridge port (IFLA_BRPORT_MODE in IFLA_PROTINFO): frames may leave through the port they came
    /// in by, which a pod needs to reach itself through a Service address.
    /// </summary>
    public void SetHairpin(int index, bool on)
    {
        var message = Message(RtmSetLink, FlagAck).IfInfo(family: AfBridge, index: index);
        var protInfo = message.BeginNested(IflaProtInfo | NestedFlag);
        message.Attribute(IflaBrportMode, on ? (byte)1 : (byte)0).EndNested(protInfo);
        Request(message, $"set hairpin on link #{index}");
    }

    /// <summary>Whether hairpin mode is on for a bridge port, as the kernel reports it; null when the link is no bridge port.</summary>
    public bool? GetHairpin(int index)
    {
        foreach (var reply in Request(Message(RtmGetLink, FlagDump).IfInfo(family: AfBridge), "list bridge ports"))
        {
            if (reply.Type != RtmNewLink || ReadInt32(reply.Payload, 4) != index)
                continue;
            var attributes = NetlinkAttributes.Parse(reply.Payload[16..]);
            return attributes.TryGetValue(IflaProtInfo, out var protInfo)
                ? NetlinkAttributes.Parse(protInfo).UInt8(IflaBrportMode) == 1
                : null;
        }
        return null;
    }

    private static LinkInfo ParseLink(ReadOnlyMemory<byte> payload)
    {
        var index = ReadInt32(payload, 4);
        var flags = BinaryPrimitives.ReadUInt32LittleEndian(payload.Span[8..]);
        var attributes = NetlinkAttributes.Parse(payload[16..]);
        string? kind = null;
        if (attributes.TryGetValue(IflaLinkInfo, out var linkInfo))
            kind = NetlinkAttributes.Parse(linkInfo).String(IflaInfoKind);
        var master = attributes.UInt32(IflaMaster);
        var link = attributes.UInt32(IflaLink);
        return new LinkInfo(index, attributes.String(IflaIfName) ?? "", kind, attributes.HardwareAddress(IflaAddress),
            (int)(attributes.UInt32(IflaMtu) ?? 0), master is null or 0 ? null : (int)master, (flags & IffUp) != 0)
        {
            LinkIndex = link is null or 0 || link == index ? null : (int)link,
        };
    }

    /// <summary>A random locally administered unicast MAC, for links whose MAC should be known before they exist.</summary>
    public static string RandomHardwareAddress()
    {
        Span<byte> mac = stackalloc byte[6];
        Random.Shared.NextBytes(mac);
        mac[0] = (byte)((mac[0] & 0xfe) | 0x02);
        return string.Join(':', mac.ToArray().Select(b => b.ToString("x2")));
    }

    private static byte[] ParseHardwareAddress(string mac)
    {
        var parts = mac.Split(':');
        if (parts.Length != 6)
            throw new ArgumentException($"\"{mac}\" is not a MAC address like aa:bb:cc:dd:ee:ff", nameof(mac));
        return parts.Select(p => Convert.ToByte(p, 16)).ToArray();
    }
}
