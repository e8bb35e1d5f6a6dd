using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Provisioner.Core.Planning;

/// <summary>IPv4 CIDR helpers on top of IPNetwork2: strict parsing and the n-th address of a network.</summary>
public static class Cidr
{
    /// <summary>Parses <c>a.b.c.d/n</c> (IPv4, explicit prefix, no host bits set).</summary>
    public static bool TryParse(string? text, out IPNetwork2 network, out string error)
    {
        network = null!;
        error = "";
        var parts = text?.Split('/');
        if (parts is not { Length: 2 } || !IPAddress.TryParse(parts[0], out var address) || address.AddressFamily != AddressFamily.InterNetwork
            || !byte.TryParse(parts[1], out var prefix) || prefix > 32)
        {
            error = "is not an IPv4 CIDR like 10.244.0.0/16";
            return false;
        }
        network = IPNetwork2.Parse(parts[0], prefix);
        if (!network.Network.Equals(address))
        {
            error = $"has host bits set (the network is {network})";
            return false;
        }
        return true;
    }

    public static IPNetwork2 Parse(string text) =>
        TryParse(text, out var network, out var error) ? network : throw new FormatException($"'{text}' {error}");

    /// <summary>The address <paramref name="offset"/> places after the network address.</summary>
    public static IPAddress Nth(IPNetwork2 network, long offset)
    {
        var value = ToUInt32(network.Network) + (uint)offset;
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    public static uint ToUInt32(IPAddress address) => BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());

    /// <summary>Number of addresses in the network (including network and broadcast).</summary>
    public static long Size(IPNetwork2 network) => 1L << (32 - network.Cidr);

    public static long OffsetOf(IPNetwork2 network, IPAddress address) => ToUInt32(address) - (long)ToUInt32(network.Network);
}
