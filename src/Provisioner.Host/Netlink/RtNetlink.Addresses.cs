using System.Net;
using System.Net.Sockets;

namespace Provisioner.Host.Netlink;

public sealed partial class RtNetlink
{
    private const ushort IfaAddress = 1;
    private const ushort IfaLocal = 2;

    /// <summary>Adds an IPv4 address to a link. Throws EEXIST when the link already has it.</summary>
    public void AddAddress(int linkIndex, IPAddress address, int prefixLength) =>
        Request(AddressMessage(RtmNewAddr, FlagAck | FlagCreate | FlagExclusive, linkIndex, address, prefixLength),
            $"add address {address}/{prefixLength} to link #{linkIndex}");

    /// <summary>Removes an address from a link; returns false when it was not there.</summary>
    public bool DeleteAddress(int linkIndex, IPAddress address, int prefixLength)
    {
        try
        {
            Request(AddressMessage(RtmDelAddr, FlagAck, linkIndex, address, prefixLength), $"delete address {address}/{prefixLength}");
            return true;
        }
        catch (NetlinkException e) when (e.NotFound)
        {
            return false;
        }
    }

    /// <summary>The IPv4 addresses in the namespace, of one link when <paramref name="linkIndex"/> is given.</summary>
    public IReadOnlyList<AddressInfo> ListAddresses(int? linkIndex = null)
    {
        var result = new List<AddressInfo>();
        foreach (var reply in Request(Message(RtmGetAddr, FlagDump).IfAddr(AfInet, 0, 0, 0), "list addresses"))
        {
            if (reply.Type != RtmNewAddr)
                continue;
            var index = ReadInt32(reply.Payload, 4);
            if (linkIndex is { } wanted && wanted != index)
                continue;
            var attributes = NetlinkAttributes.Parse(reply.Payload[8..]);
            if ((attributes.Address(IfaLocal) ?? attributes.Address(IfaAddress)) is { } address)
                result.Add(new AddressInfo(index, address, reply.Payload.Span[1]));
        }
        return result;
    }

    private static NetlinkMessageBuilder AddressMessage(ushort type, ushort flags, int linkIndex, IPAddress address, int prefixLength)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
            throw new ArgumentException($"only IPv4 addresses are supported, got {address}", nameof(address));
        return Message(type, flags).IfAddr(AfInet, (byte)prefixLength, 0, linkIndex)
            .Attribute(IfaLocal, address).Attribute(IfaAddress, address);
    }
}
