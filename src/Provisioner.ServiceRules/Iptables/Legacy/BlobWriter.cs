using System.Buffers.Binary;

namespace Provisioner.ServiceRules.Iptables.Legacy;

/// <summary>A growing little-endian byte buffer (x_tables structs are host order, addresses and NAT ports network order).</summary>
internal sealed class BlobWriter(int capacity)
{
    public byte[] Bytes { get; private set; } = new byte[Math.Max(capacity, 1024)];

    public int Length { get; private set; }

    /// <summary>Appends <paramref name="count"/> zero bytes.</summary>
    public void Zero(int count)
    {
        if (Length + count > Bytes.Length)
        {
            var grown = new byte[Math.Max(Bytes.Length * 2, Length + count)];
            Bytes.AsSpan(0, Length).CopyTo(grown);
            Bytes = grown; // a new array is zeroed
        }
        else
            Bytes.AsSpan(Length, count).Clear();
        Length += count;
    }

    public void WriteUInt16(int at, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Bytes.AsSpan(at), value);

    public void WriteUInt16BigEndian(int at, ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Bytes.AsSpan(at), value);

    public void WriteUInt32(int at, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Bytes.AsSpan(at), value);

    public void WriteInt32(int at, int value) => BinaryPrimitives.WriteInt32LittleEndian(Bytes.AsSpan(at), value);

    public void WriteUInt32BigEndian(int at, uint value) => BinaryPrimitives.WriteUInt32BigEndian(Bytes.AsSpan(at), value);

    public ReadOnlySpan<byte> Written => Bytes.AsSpan(0, Length);
}
