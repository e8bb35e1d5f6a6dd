using System.Buffers.Binary;
using System.Globalization;
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
        if (parts is not { Length: 2 } || !TryParseAddress(parts[0], out var address)
            || !byte.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix > 32)
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

    /// <summary>
    /// Parses a dotted-quad IPv4 address only. <see cref="IPAddress.TryParse(string, out IPAddress)"/> also takes
    /// "10.96.5" (10.96.0.5) and "167772160" (10.0.0.0), which would reach kubeadm and iptables as written.
    /// </summary>
    public static bool TryParseAddress(string? text, out IPAddress address)
    {
        address = IPAddress.None;
        var octets = text?.Split('.');
        if (octets is not { Length: 4 } || !octets.All(o => o.Length is > 0 and <= 3 && byte.TryParse(o, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            return false;
        return IPAddress.TryParse(text, out address!) && address.AddressFamily == AddressFamily.InterNetwork;
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
