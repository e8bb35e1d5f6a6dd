using System.Buffers.Binary;

namespace Provisioner.Observability.Trace;

/// <summary>The one DNS message a UDP probe to port 53 sends, so a DNS server answers it: the zone's dns-version TXT query.</summary>
public static class DnsQuery
{
    public static byte[] VersionQuery(string zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var message = new List<byte>();
        var header = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, (ushort)Random.Shared.Next(1, 65535)); // id
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), 0x0100); // a standard query, recursion desired
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 1); // one question
        message.AddRange(header);
        foreach (var label in $"dns-version.{zone}".Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            message.Add((byte)label.Length);
            message.AddRange(System.Text.Encoding.ASCII.GetBytes(label));
        }
        message.AddRange([0, 0, 16, 0, 1]); // root, TXT, IN
        return [.. message];
    }
}
