using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Provisioner.Host.Netlink;

/// <summary>Reads the attributes (type, value) of a netlink message payload, nested attributes included.</summary>
internal static class NetlinkAttributes
{
    private const ushort TypeMask = 0x3fff; // strips NLA_F_NESTED and NLA_F_NET_BYTEORDER

    /// <summary>The attributes in <paramref name="data"/> keyed by type; a repeated type keeps its last value.</summary>
    public static Dictionary<ushort, ReadOnlyMemory<byte>> Parse(ReadOnlyMemory<byte> data)
    {
        var result = new Dictionary<ushort, ReadOnlyMemory<byte>>();
        var offset = 0;
        while (offset + 4 <= data.Length)
        {
            var span = data.Span[offset..];
            var length = BinaryPrimitives.ReadUInt16LittleEndian(span);
            var type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(span[2..]) & TypeMask);
            if (length < 4 || offset + length > data.Length)
                break;
            result[type] = data.Slice(offset + 4, length - 4);
            offset += NetlinkMessageBuilder.Align(length);
        }
        return result;
    }

    public static string? String(this Dictionary<ushort, ReadOnlyMemory<byte>> attributes, ushort type) =>
        attributes.TryGetValue(type, out var value) ? Encoding.UTF8.GetString(value.Span.TrimEnd((byte)0)) : null;

    public static uint? UInt32(this Dictionary<ushort, ReadOnlyMemory<byte>> attributes, ushort type) =>
        attributes.TryGetValue(type, out var value) && value.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(value.Span) : null;

    public static byte? UInt8(this Dictionary<ushort, ReadOnlyMemory<byte>> attributes, ushort type) =>
        attributes.TryGetValue(type, out var value) && value.Length >= 1 ? value.Span[0] : null;

    public static IPAddress? Address(this Dictionary<ushort, ReadOnlyMemory<byte>> attributes, ushort type) =>
        attributes.TryGetValue(type, out var value) && value.Length is 4 or 16 ? new IPAddress(value.Span) : null;

    /// <summary>A hardware address as lower-case colon-separated hex (aa:bb:cc:dd:ee:ff).</summary>
    public static string? HardwareAddress(this Dictionary<ushort, ReadOnlyMemory<byte>> attributes, ushort type) =>
        attributes.TryGetValue(type, out var value) && value.Length > 0
            ? string.Join(':', value.ToArray().Select(b => b.ToString("x2")))
            : null;
}
