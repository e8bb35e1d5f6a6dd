using System.Buffers.Binary;
using Provisioner.Host.Namespaces;

namespace Provisioner.Host.Netlink;

/// <summary>
/// The nf_tables ruleset generation of a network namespace (NFT_MSG_GETGEN over NETLINK_NETFILTER, what
/// <c>nft monitor</c> and libnftables read). The kernel bumps it on every committed nf_tables transaction, by nft and
/// by iptables-nft alike, so an unchanged generation proves nobody changed any nf_tables rule, chain, set or element
/// since it was read. (Legacy x_tables has no such counter.) The counter is per namespace and starts again in a new
/// one, so it comes with the namespace's cookie (SO_NETNS_COOKIE, never reused): a generation proves something only
/// about the same namespace.
/// </summary>
public readonly record struct NfTablesGeneration(ulong Namespace, uint Id)
{
    private const ushort SubsystemNfTables = 10;
    private const ushort MessageGetGen = 16;
    private const ushort MessageNewGen = 15;
    private const ushort AttributeGenId = 1;
    private const ushort FlagRequest = 1;

    /// <summary>The generation of the namespace at <paramref name="netnsPath"/> (e.g. /run/netns/x), or of the caller's.</summary>
    public static NfTablesGeneration Read(string? netnsPath = null)
    {
        return NetworkNamespace.RunIn(netnsPath, ReadHere);
    }

    public override string ToString() => $"{Id} (netns cookie {Namespace})";

    private static NfTablesGeneration ReadHere()
    {
        using var socket = NetlinkSocket.Open(Libc.NetlinkNetfilter);
        var request = new NetlinkMessageBuilder((SubsystemNfTables << 8) | MessageGetGen, FlagRequest).NfGen();
        foreach (var reply in socket.Request(request, "NFT_MSG_GETGEN"))
        {
            if ((reply.Type & 0xff) != MessageNewGen || reply.Payload.Length < 4)
                continue;
            var attributes = NetlinkAttributes.Parse(reply.Payload[4..]);
            if (attributes.TryGetValue(AttributeGenId, out var id) && id.Length >= 4)
                return new NfTablesGeneration(socket.NamespaceCookie(), BinaryPrimitives.ReadUInt32BigEndian(id.Span));
        }
        throw new NetlinkException("NFT_MSG_GETGEN: the kernel sent no generation id");
    }
}
