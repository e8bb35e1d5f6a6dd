using System.Buffers.Binary;
using System.Text;
using Provisioner.Host.Namespaces;

namespace Provisioner.Host.Netlink;

/// <summary>One element as the kernel dumps it: the key's bytes, the data's (a map value) or verdict, and the comment.</summary>
public sealed record NfTablesRawElement(byte[] Key, byte[]? Data, NfTablesVerdict? Verdict, string? Comment);

/// <summary>
/// Reads sets' elements with NFT_MSG_GETSETELEM dumps over NETLINK_NETFILTER (what <c>nft list</c> does for each set):
/// the attributes <see cref="NfTablesElementBatch"/> writes, read back. Decoding the bytes into values is the caller's
/// (it knows the datatypes).
/// </summary>
public static class NfTablesElementDump
{
    private const ushort SubsystemNfTables = 10;
    private const ushort MessageGetSetElem = 13;
    private const ushort FlagRequest = 1, FlagDump = 0x300;
    private const ushort ListTable = 1, ListSet = 2, ListElements = 3, ListElem = 1;
    private const ushort ElemKey = 1, ElemData = 2, ElemUserData = 6, DataValue = 1, DataVerdict = 2, VerdictCode = 1, VerdictChain = 2;

    /// <summary>The elements of each of <paramref name="sets"/> of <paramref name="table"/> (family ip), in the kernel's order.</summary>
    public static Dictionary<string, List<NfTablesRawElement>> Read(string? netnsPath, string table, IReadOnlyList<string> sets)
    {
        ArgumentNullException.ThrowIfNull(sets);
        Dictionary<string, List<NfTablesRawElement>> ReadHere()
        {
            using var socket = NetlinkSocket.Open(Libc.NetlinkNetfilter);
            var result = new Dictionary<string, List<NfTablesRawElement>>(StringComparer.Ordinal);
            foreach (var set in sets)
            {
                var request = new NetlinkMessageBuilder((SubsystemNfTables << 8) | MessageGetSetElem, FlagRequest | FlagDump)
                    .NfGen(NfTablesElementBatch.FamilyIpv4).Attribute(ListTable, table).Attribute(ListSet, set);
                var elements = new List<NfTablesRawElement>();
                foreach (var reply in socket.Request(request, $"NFT_MSG_GETSETELEM {table} {set}"))
                    if (reply.Payload.Length > 4 && NetlinkAttributes.Parse(reply.Payload[4..]).TryGetValue(ListElements, out var list))
                        Elements(list, elements);
                result[set] = elements;
            }
            return result;
        }
        return NetworkNamespace.RunIn(netnsPath, ReadHere);
    }

    private static void Elements(ReadOnlyMemory<byte> list, List<NfTablesRawElement> into)
    {
        for (var offset = 0; offset + 4 <= list.Length;)
        {
            var length = BinaryPrimitives.ReadUInt16LittleEndian(list.Span[offset..]);
            if (length < 4 || offset + length > list.Length)
                throw new NetlinkException("NFT_MSG_GETSETELEM: a truncated element in the kernel's reply");
            if ((BinaryPrimitives.ReadUInt16LittleEndian(list.Span[(offset + 2)..]) & 0x3fff) == ListElem)
                into.Add(Element(NetlinkAttributes.Parse(list.Slice(offset + 4, length - 4))));
            offset += NetlinkMessageBuilder.Align(length);
        }
    }

    private static NfTablesRawElement Element(Dictionary<ushort, ReadOnlyMemory<byte>> element)
    {
        byte[]? Value(ushort type) => element.TryGetValue(type, out var nest) && NetlinkAttributes.Parse(nest).TryGetValue(DataValue, out var value)
            ? value.ToArray() : null;
        NfTablesVerdict? verdict = null;
        if (element.TryGetValue(ElemData, out var data) && NetlinkAttributes.Parse(data).TryGetValue(DataVerdict, out var nested))
        {
            var attributes = NetlinkAttributes.Parse(nested);
            var code = attributes.TryGetValue(VerdictCode, out var c) && c.Length >= 4 ? BinaryPrimitives.ReadInt32BigEndian(c.Span) : 0;
            verdict = new NfTablesVerdict(code, attributes.String(VerdictChain));
        }
        return new NfTablesRawElement(Value(ElemKey) ?? [], verdict is null ? Value(ElemData) : null, verdict, Comment(element));
    }

    /// <summary>The comment TLV (NFTNL_UDATA_SET_ELEM_COMMENT) of libnftnl's udata, if any.</summary>
    private static string? Comment(Dictionary<ushort, ReadOnlyMemory<byte>> element)
    {
        if (!element.TryGetValue(ElemUserData, out var udata))
            return null;
        var span = udata.Span;
        for (var at = 0; at + 2 <= span.Length; at += 2 + span[at + 1])
        {
            var length = span[at + 1];
            if (at + 2 + length > span.Length)
                break;
            if (span[at] == 0)
                return Encoding.UTF8.GetString(span.Slice(at + 2, length).TrimEnd((byte)0));
        }
        return null;
    }
}
