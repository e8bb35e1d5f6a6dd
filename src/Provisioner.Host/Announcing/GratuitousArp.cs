using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Provisioner.Host.Namespaces;
using Provisioner.Host.Netlink;

namespace Provisioner.Host.Announcing;

/// <summary>
/// One gratuitous ARP (an ARP request for an address, from that address, to the broadcast MAC): neighbours that cached
/// another MAC for the address take the sender's. Sent on a raw packet socket, so it costs microseconds where
/// <c>arping</c> always waits a second before it exits.
/// </summary>
public static class GratuitousArp
{
    private const int AfPacket = 17;
    private const ushort EthPArp = 0x0806;

    /// <summary>Sends it from <paramref name="interfaceName"/> inside the namespace at <paramref name="netnsPath"/> (null: this one).</summary>
    public static void Send(string? netnsPath, string interfaceName, IPAddress address)
    {
        using var netns = netnsPath is null ? NetworkNamespace.Current() : NetworkNamespace.Open(netnsPath);
        netns.Run(() => SendHere(interfaceName, address));
    }

    private static unsafe void SendHere(string interfaceName, IPAddress address)
    {
        LinkInfo link;
        using (var netlink = RtNetlink.Open())
            link = netlink.GetLink(interfaceName);
        var mac = (link.HardwareAddress ?? throw new InvalidOperationException($"{interfaceName} has no hardware address"))
            .Split(':').Select(b => byte.Parse(b, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
        var frame = Frame(mac, address.GetAddressBytes());

        var fd = Libc.Socket(AfPacket, Libc.SockRaw | Libc.SockCloexec, BinaryPrimitives.ReverseEndianness(EthPArp));
        if (fd < 0)
            throw new NetlinkException($"socket(AF_PACKET) failed: {Libc.Describe(Marshal.GetLastPInvokeError())}");
        try
        {
            var to = new SockaddrLl
            {
                Family = AfPacket, Protocol = BinaryPrimitives.ReverseEndianness(EthPArp), IfIndex = link.Index, HardwareLength = 6,
            };
            for (var i = 0; i < 6; i++)
                to.Address[i] = 0xff;
            fixed (byte* data = frame)
            {
                if (Libc.SendTo(fd, data, (nuint)frame.Length, 0, &to, (uint)sizeof(SockaddrLl)) < 0)
                    throw new NetlinkException($"sending a gratuitous ARP for {address} on {interfaceName} failed: {Libc.Describe(Marshal.GetLastPInvokeError())}");
            }
        }
        finally
        {
            _ = Libc.Close(fd);
        }
    }

    /// <summary>Ethernet broadcast + ARP request: sender and target protocol address both the announced one.</summary>
    internal static byte[] Frame(byte[] mac, byte[] ip)
    {
        var frame = new byte[42];
        frame.AsSpan(0, 6).Fill(0xff);
        mac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EthPArp);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), 1);      // hardware type: Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), 0x0800); // protocol: IPv4
        frame[18] = 6;
        frame[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(20), 1);      // request
        mac.CopyTo(frame, 22);
        ip.CopyTo(frame, 28);
        ip.CopyTo(frame, 38);                                          // target MAC (32..37) stays zero
        return frame;
    }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct SockaddrLl
    {
        public ushort Family;
        public ushort Protocol;
        public int IfIndex;
        public ushort HardwareType;
        public byte PacketType;
        public byte HardwareLength;
        public fixed byte Address[8];
    }
}
