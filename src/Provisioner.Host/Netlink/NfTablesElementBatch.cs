using System.Text;
using Provisioner.Host.Namespaces;

namespace Provisioner.Host.Netlink;

/// <summary>A verdict as map data: NFT_GOTO / NFT_JUMP to a chain, or accept / drop (nf_tables.h's codes).</summary>
public readonly record struct NfTablesVerdict(int Code, string? Chain)
{
    public static NfTablesVerdict Goto(string chain) => new(-4, chain);

    public static NfTablesVerdict Jump(string chain) => new(-3, chain);

    public static NfTablesVerdict Accept => new(1, null);

    public static NfTablesVerdict Drop => new(0, null);
}

/// <summary>An element the kernel refused: its set, its index among the batch's elements (-1: not one element, e.g.
/// the commit), the errno and the kernel's words.</summary>
public sealed record NfTablesElementError(string Set, int Element, int Errno, string? KernelMessage)
{
    /// <summary>The errno's text, its number and the kernel's words, e.g. "No such file or directory (errno 2)".</summary>
    public string Reason => $"{Libc.Describe(Errno)} (errno {Errno})" + (KernelMessage is null ? "" : $": {KernelMessage}");

    public override string ToString() => $"set {Set}: {Reason}";
}

/// <summary>
/// Set and map elements of one table written as one nf_tables transaction over NETLINK_NETFILTER, as nft 1.0.6 writes
/// them (libnftnl's encoding): NFT_MSG_NEWSETELEM messages, each naming the table and set and holding a nested list of
/// elements (key, data value or verdict, comment as libnftnl udata), cut so that no list nears the 64 KB an attribute
/// can hold. The keys and data come encoded (ServiceRules' NftElementCodec knows the datatypes); this class knows
/// the attributes. The sets must exist: a batch adds elements only.
/// </summary>
public sealed class NfTablesElementBatch(string table, byte family = NfTablesElementBatch.FamilyIpv4, int listBudget = NfTablesElementBatch.DefaultListBudget)
{
    public const byte FamilyIpv4 = 2; // NFPROTO_IPV4
    public const int DefaultListBudget = 32 * 1024;
    private const ushort SubsystemNfTables = 10;
    private const ushort MessageNewSetElem = 12;
    private const ushort FlagRequest = 1, FlagCreate = 0x400;
    private const ushort ListTable = 1, ListSet = 2, ListElements = 3; // NFTA_SET_ELEM_LIST_*
    private const ushort ListElem = 1; // NFTA_LIST_ELEM
    private const ushort ElemKey = 1, ElemData = 2, ElemUserData = 6; // NFTA_SET_ELEM_*
    private const ushort DataValue = 1, DataVerdict = 2; // NFTA_DATA_*
    private const ushort VerdictCode = 1, VerdictChain = 2; // NFTA_VERDICT_*
    private const byte UdataElemComment = 0; // NFTNL_UDATA_SET_ELEM_COMMENT
    private const int MaxComment = 254; // one udata TLV: a byte of length, NUL included

    private readonly List<NetlinkMessageBuilder> _messages = [];
    private readonly List<(string Set, int FirstElement, List<int> Offsets)> _index = [];
    private NetlinkMessageBuilder? _current;
    private int _list; // where the current message's element list starts
    private int _elementStart; // where the element being added starts
    private string? _set;

    public int Elements { get; private set; }

    public int Messages => _messages.Count;

    /// <summary>Adds a set element, or a map element with a data value (<paramref name="data"/> empty: none).</summary>
    public NfTablesElementBatch Add(string set, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, string? comment = null)
    {
        var message = Begin(set, key);
        if (!data.IsEmpty)
        {
            var nest = message.BeginNested(ElemData | NetlinkMessageBuilder.Nested);
            message.Attribute(DataValue, data).EndNested(nest);
        }
        return End(message, comment);
    }

    /// <summary>Adds a verdict map element (e.g. <c>10.96.0.1 . tcp . 80 : goto pick-3</c>).</summary>
    public NfTablesElementBatch Add(string set, ReadOnlySpan<byte> key, NfTablesVerdict verdict, string? comment = null)
    {
        var message = Begin(set, key);
        var data = message.BeginNested(ElemData | NetlinkMessageBuilder.Nested);
        var nest = message.BeginNested(DataVerdict | NetlinkMessageBuilder.Nested);
        message.AttributeBigEndian(VerdictCode, unchecked((uint)verdict.Code));
        if (verdict.Chain is not null)
            message.Attribute(VerdictChain, verdict.Chain);
        message.EndNested(nest).EndNested(data);
        return End(message, comment);
    }

    /// <summary>Appends <paramref name="other"/>'s messages after this batch's (its elements numbered after these): batches
    /// encoded in parallel, one per set, become one transaction.</summary>
    public NfTablesElementBatch Append(NfTablesElementBatch other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Close();
        _messages.AddRange(other.Finished());
        _index.AddRange(other._index.Select(i => (i.Set, i.FirstElement + Elements, i.Offsets)));
        Elements += other.Elements;
        return this;
    }

    /// <summary>Each message's bytes as sent, with sequence number 0 and no ack asked: what the codec specs pin.</summary>
    public IReadOnlyList<byte[]> Encoded() => [.. Finished().Select(m => m.Finish(0).ToArray())];

    /// <summary>The messages, each closed (what <see cref="Commit"/> sends; the codec specs read them).</summary>
    internal IReadOnlyList<NetlinkMessageBuilder> Finished()
    {
        Close();
        return _messages;
    }

    /// <summary>
    /// Sends the batch into the network namespace at <paramref name="netnsPath"/> (null: the caller's) as one
    /// transaction. Returns the refused elements (each named by set and index); empty: every element was committed.
    /// </summary>
    public IReadOnlyList<NfTablesElementError> Commit(string? netnsPath = null)
    {
        var messages = Finished();
        if (messages.Count == 0)
            return [];
        List<BatchError> Send()
        {
            using var socket = NetlinkSocket.Open(Libc.NetlinkNetfilter);
            return socket.SendBatch(messages, SubsystemNfTables, $"NFT_MSG_NEWSETELEM batch of {Elements} elements into table {table}");
        }
        var errors = NetworkNamespace.RunIn(netnsPath, Send);
        return [.. errors.Select(Name)];
    }

    /// <summary>The element a refusal points at: the kernel names the list element's attribute by its offset.</summary>
    private NfTablesElementError Name(BatchError error)
    {
        if (error.Message < 0 || error.Message >= _index.Count)
            return new NfTablesElementError(_set ?? "", -1, error.Errno, error.KernelMessage);
        var (set, first, offsets) = _index[error.Message];
        var at = error.AttributeOffset is { } offset ? offsets.FindLastIndex(o => o <= offset) : -1;
        return new NfTablesElementError(set, at < 0 ? -1 : first + at, error.Errno, error.KernelMessage);
    }

    private NetlinkMessageBuilder Begin(string set, ReadOnlySpan<byte> key)
    {
        if (_current is null || _set != set || _current.Length - _list > listBudget)
            Open(set);
        var message = _current!;
        _index[^1].Offsets.Add(message.Length);
        var element = message.BeginNested(ListElem | NetlinkMessageBuilder.Nested);
        _elementStart = element;
        var nest = message.BeginNested(ElemKey | NetlinkMessageBuilder.Nested);
        message.Attribute(DataValue, key).EndNested(nest);
        return message;
    }

    private NfTablesElementBatch End(NetlinkMessageBuilder message, string? comment)
    {
        if (comment is not null)
        {
            Span<byte> udata = stackalloc byte[MaxComment + 2];
            message.Attribute(ElemUserData, Udata(comment, udata));
        }
        message.EndNested(_elementStart);
        Elements++;
        return this;
    }

    /// <summary>libnftnl's udata: one TLV of type, length and the comment with its NUL (nftnl_udata_put_strz).</summary>
    private static Span<byte> Udata(string comment, Span<byte> udata)
    {
        var length = Encoding.UTF8.GetByteCount(comment) + 1;
        if (length > MaxComment)
            throw new ArgumentException($"an element comment is at most {MaxComment - 1} bytes: \"{comment}\"", nameof(comment));
        udata[0] = UdataElemComment;
        udata[1] = (byte)length;
        udata[length + 1] = 0;
        Encoding.UTF8.GetBytes(comment, udata[2..]);
        return udata[..(length + 2)];
    }

    private void Open(string set)
    {
        Close();
        _current = new NetlinkMessageBuilder((SubsystemNfTables << 8) | MessageNewSetElem, FlagRequest | FlagCreate)
            .NfGen(family)
            .Attribute(ListTable, table)
            .Attribute(ListSet, set);
        _list = _current.BeginNested(ListElements | NetlinkMessageBuilder.Nested);
        _set = set;
        _index.Add((set, Elements, []));
    }

    private void Close()
    {
        if (_current is null)
            return;
        _current.EndNested(_list);
        _messages.Add(_current);
        _current = null;
    }
}
