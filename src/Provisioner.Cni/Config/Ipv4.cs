using System.Buffers.Binary;
using System.Net;

namespace Provisioner.Cni.Config;

/// <summary>IPv4 address arithmetic on 32-bit numbers (System.Net.IPNetwork has no "next address").</summary>
internal static class Ipv4
{
    public static uint ToUInt(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    public static IPAddress FromUInt(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    public static IPAddress Add(IPAddress address, int delta) => FromUInt((uint)(ToUInt(address) + delta));

    public static IPAddress Broadcast(IPNetwork subnet) =>
        FromUInt(ToUInt(subnet.BaseAddress) | (subnet.PrefixLength == 0 ? uint.MaxValue : (1u << (32 - subnet.PrefixLength)) - 1));
}
