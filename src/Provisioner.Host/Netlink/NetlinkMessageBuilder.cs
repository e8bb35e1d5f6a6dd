using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Provisioner.Host.Netlink;

/// <summary>
/// Builds one netlink request: the 16-byte header, a fixed family header (ifinfomsg, ifaddrmsg, rtmsg) and
/// 4-byte aligned attributes, nested ones included. Length fields are patched when the message is finished.
/// </summary>
internal sealed class NetlinkMessageBuilder
{
    private const int HeaderLength = 16;

    /// <summary>NLA_F_NESTED: or-ed into a nested attribute's type, as libmnl's mnl_attr_nest_start does (nfnetlink).</summary>
    public const ushort Nested = 0x8000;
    private byte[] _buffer = new byte[256];
    private int _length;

    public NetlinkMessageBuilder(ushort type, ushort flags)
    {
        _length = HeaderLength;
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(6), flags);
    }

    /// <summary>Starts over as a new, empty message (its buffer kept): one scratch builder for many messages.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public NetlinkMessageBuilder Reset(ushort type, ushort flags)
    {
        _buffer.AsSpan(0, HeaderLength).Clear();
        _length = HeaderLength;
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(6), flags);
        return this;
    }

    /// <summary>The message's length so far: where the next attribute starts, counted from the header.</summary>
    public int Length => _length;

    /// <summary>Adds header flags (e.g. NLM_F_ACK) to those given at construction.</summary>
    public NetlinkMessageBuilder AddFlags(ushort flags)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(6), (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(6)) | flags));
        return this;
    }

    /// <summary>struct ifinfomsg: family, type, index, flags, change.</summary>
    public NetlinkMessageBuilder IfInfo(byte family = 0, int index = 0, uint flags = 0, uint change = 0)
    {
        var span = Reserve(16);
        span[0] = family;
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], index);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], change);
        return this;
    }

    /// <summary>struct nfgenmsg (nfnetlink): family, version NFNETLINK_V0, resource id (big endian).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public NetlinkMessageBuilder NfGen(byte family = 0, ushort resourceId = 0)
    {
        var span = Reserve(4);
        span[0] = family;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], resourceId);
        return this;
    }

    /// <summary>struct ifaddrmsg: family, prefix length, flags, scope, index.</summary>
    public NetlinkMessageBuilder IfAddr(byte family, byte prefixLength, byte scope, int index)
    {
        var span = Reserve(8);
        span[0] = family;
        span[1] = prefixLength;
        span[3] = scope;
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], index);
        return this;
    }

    /// <summary>struct rtmsg: family, dst length, table, protocol, scope, type.</summary>
    public NetlinkMessageBuilder RtMsg(byte family, byte destinationLength, byte table, byte protocol, byte scope, byte type)
    {
        var span = Reserve(12);
        span[0] = family;
        span[1] = destinationLength;
        span[4] = table;
        span[5] = protocol;
        span[6] = scope;
        span[7] = type;
        return this;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public NetlinkMessageBuilder Attribute(ushort type, ReadOnlySpan<byte> value)
    {
        var span = Reserve(Align(4 + value.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)(4 + value.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(span[2..], type);
        value.CopyTo(span[4..]);
        return this;
    }

    /// <summary>A NUL-terminated string (NLA_STRING / NLA_NUL_STRING), encoded in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public NetlinkMessageBuilder Attribute(ushort type, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Attribute(type, value.AsSpan());
    }

    /// <summary>A NUL-terminated string (NLA_STRING / NLA_NUL_STRING) from UTF-16 text, encoded in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public NetlinkMessageBuilder Attribute(ushort type, ReadOnlySpan<char> value)
    {
        var length = 4 + Encoding.UTF8.GetByteCount(value) + 1;
        var span = Reserve(length);
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)length);
        BinaryPrimitives.WriteUInt16LittleEndian(span[2..], type);
        Encoding.UTF8.GetBytes(value, span[4..]);
        return this;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public NetlinkMessageBuilder Attribute(ushort type, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return Attribute(type, bytes);
    }

    /// <summary>A 32-bit value in network byte order (nfnetlink's NLA_BE32, e.g. a verdict code).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public NetlinkMessageBuilder AttributeBigEndian(ushort type, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return Attribute(type, bytes);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public NetlinkMessageBuilder Attribute(ushort type, byte value) => Attribute(type, [value]);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public NetlinkMessageBuilder Attribute(ushort type, IPAddress address) => Attribute(type, address.GetAddressBytes());

    /// <summary>Starts a nested attribute; close it with <see cref="EndNested"/>, passing the returned offset.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int BeginNested(ushort type)
    {
        var offset = _length;
        var span = Reserve(4);
        BinaryPrimitives.WriteUInt16LittleEndian(span[2..], type);
        return offset;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public NetlinkMessageBuilder EndNested(int offset)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(offset), (ushort)(_length - offset));
        return this;
    }

    /// <summary>The finished message with its length and sequence number filled in.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlySpan<byte> Finish(uint sequence)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer, (uint)_length);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(8), sequence);
        return _buffer.AsSpan(0, _length);
    }

    internal static int Align(int length) => (length + 3) & ~3;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Span<byte> Reserve(int count)
    {
        count = Align(count);
        if (_length + count > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        var span = _buffer.AsSpan(_length, count);
        span.Clear();
        _length += count;
        return span;
    }
}
