using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using Provisioner.Host.Namespaces;

namespace Provisioner.Host.Netlink;

/// <summary>A message of a rule batch the kernel refused: its index in the batch (-1: the commit), errno, words.</summary>
public sealed record NfTablesBatchError(int Message, int Errno, string? KernelMessage)
{
    public string Reason => $"{Libc.Describe(Errno)} (errno {Errno})" + (KernelMessage is null ? "" : $": {KernelMessage}");
}

/// <summary>
/// Tables, chains and rules of family ip written as one nf_tables transaction over NETLINK_NETFILTER, in the attribute
/// layout libnftnl gives them for iptables-nft 1.8.9 (so the tool reads them back as its own): NFT_MSG_NEWTABLE,
/// NFT_MSG_NEWCHAIN (user chains exclusive, base chains with hook, priority, policy accept and type) and NFT_MSG_NEWRULE
/// with an expression list and NFTA_RULE_COMPAT. Which expressions a rule holds is the caller's (ServiceRules'
/// IptablesNftRuleCodec); this class knows the attributes.
/// </summary>
public sealed class NfTablesRuleBatch
{
    private const byte FamilyIpv4 = 2;
    private const ushort Subsystem = 10;
    private const ushort NewTable = 0, GetChain = 4, NewChain = 3, NewRule = 6, GetRule = 7;
    private const ushort FlagRequest = 1, FlagExclusive = 0x200, FlagCreate = 0x400, FlagAppend = 0x800, FlagDump = 0x300;
    private const ushort Nested = NetlinkMessageBuilder.Nested;

    // every message laid out in one large buffer (see NetlinkSocket.SendBatch): 20 bytes kept for BATCH_BEGIN
    private const int BatchHeader = 28;
    private readonly NetlinkMessageBuilder _scratch = new(0, 0);
    private readonly List<int> _offsets = [];
    private byte[] _buffer;
    private int _end = BatchHeader;
    private RuleWriter? _writer;

    /// <param name="capacity">bytes to hold without growing (a guess; the buffer grows past it). The buffer is not
    /// zeroed: every byte sent is written first, and a generous guess costs only address space (a zeroed 70 MB buffer
    /// was a 10k-service first sync's largest page-fault cost).</param>
    public NfTablesRuleBatch(int capacity = 1 << 16) => _buffer = GC.AllocateUninitializedArray<byte>(Math.Max(capacity, 1 << 12));

    public int Messages => _offsets.Count;

    /// <summary>Commit only if the ruleset is still at this generation (NFNL_BATCH_GENID, as iptables-nft sends the one
    /// it read): what the batch was built from cannot have changed under it. Null: any generation.</summary>
    public uint? Generation { get; set; }

    /// <summary>NFT_MSG_NEWTABLE without NLM_F_EXCL: creates the table or leaves an existing one as it is.</summary>
    public NfTablesRuleBatch AddTable(string table)
    {
        Add(Message(NewTable, FlagRequest | FlagCreate, scratch: true).Attribute(1, table));
        return this;
    }

    /// <summary>A user chain; NLM_F_EXCL: a chain of that name already there refuses the batch.</summary>
    public NfTablesRuleBatch AddChain(string table, string chain)
    {
        Add(Message(NewChain, FlagRequest | FlagExclusive, scratch: true).Attribute(1, table).Attribute(3, chain));
        return this;
    }

    /// <summary>A base chain as iptables-nft creates a built-in one: hook, priority, policy accept, type.</summary>
    public NfTablesRuleBatch AddBaseChain(string table, string chain, uint hook, int priority, string type)
    {
        var message = Message(NewChain, FlagRequest | FlagCreate, scratch: true).Attribute(1, table).Attribute(3, chain);
        var nest = message.BeginNested(4 | Nested);
        message.AttributeBigEndian(1, hook).AttributeBigEndian(2, unchecked((uint)priority)).EndNested(nest);
        Add(message.AttributeBigEndian(5, 1).Attribute(7, type));
        return this;
    }

    /// <summary>Starts a rule (appended, or inserted at the head of the chain); add its expressions, then
    /// <see cref="RuleWriter.End"/>. The writer is the batch's one: finish a rule before starting the next.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public RuleWriter AddRule(string table, ReadOnlySpan<char> chain, bool append)
    {
        var message = Message(NewRule, (ushort)(FlagRequest | FlagCreate | (append ? FlagAppend : 0)), scratch: true).Attribute(1, table).Attribute(2, chain);
        var writer = _writer ??= new RuleWriter(this, message);
        writer.Start(message.BeginNested(4 | Nested));
        return writer;
    }

    /// <summary>The kind of an xt extension (<see cref="RuleWriter.Compat"/>), NUL-terminated as the attribute holds it.</summary>
    public static ReadOnlySpan<byte> CompatMatch => "match\0"u8;

    /// <inheritdoc cref="CompatMatch"/>
    public static ReadOnlySpan<byte> CompatTarget => "target\0"u8;

    /// <summary>Each message's bytes as sent, with sequence number 0 and no ack asked: what the codec specs pin.</summary>
    public IReadOnlyList<byte[]> Encoded() =>
        [.. _offsets.Select((o, i) => _buffer.AsSpan(o, (i + 1 < _offsets.Count ? _offsets[i + 1] : _end) - o).ToArray())];

    /// <summary>Appends <paramref name="other"/>'s messages after these (batches encoded in parallel, joined in order).</summary>
    public NfTablesRuleBatch Append(NfTablesRuleBatch other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var bytes = other._end - BatchHeader;
        if (_end + bytes + BatchHeader > _buffer.Length)
            Grow(Math.Max(_buffer.Length + _buffer.Length / 2, _end + bytes + BatchHeader));
        other._buffer.AsSpan(BatchHeader, bytes).CopyTo(_buffer.AsSpan(_end));
        var shift = _end - BatchHeader;
        foreach (var offset in other._offsets)
            _offsets.Add(offset + shift);
        _end += bytes;
        return this;
    }

    /// <summary>Copies the finished scratch message after the others.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Add(NetlinkMessageBuilder message)
    {
        var bytes = message.Finish(0);
        if (_end + bytes.Length + BatchHeader > _buffer.Length)
            Grow(Math.Max(_buffer.Length * 2, _end + bytes.Length + BatchHeader));
        _offsets.Add(_end);
        bytes.CopyTo(_buffer.AsSpan(_end));
        _end += bytes.Length;
    }

    private void Grow(int capacity)
    {
        var grown = GC.AllocateUninitializedArray<byte>(capacity);
        _buffer.AsSpan(0, _end).CopyTo(grown);
        _buffer = grown;
    }

    /// <summary>Sends the batch (one transaction) into the namespace at <paramref name="netnsPath"/> (null: the
    /// caller's). Returns the refused messages; empty: committed.</summary>
    public IReadOnlyList<NfTablesBatchError> Commit(string? netnsPath, string operation)
    {
        List<BatchError> Send()
        {
            using var socket = NetlinkSocket.Open(Libc.NetlinkNetfilter);
            return socket.SendBatch(_buffer, _offsets, _end, Subsystem, operation, Generation);
        }
        if (_offsets.Count == 0)
            return [];
        var errors = NetworkNamespace.RunIn(netnsPath, Send);
        return [.. errors.Select(e => new NfTablesBatchError(e.Message, e.Errno, e.KernelMessage))];
    }

    /// <summary>The chains (family ip) of each table, by one NFT_MSG_GETCHAIN dump; a table that does not exist is absent.</summary>
    public static Dictionary<string, HashSet<string>> Chains(string? netnsPath)
    {
        Dictionary<string, HashSet<string>> ReadHere()
        {
            using var socket = NetlinkSocket.Open(Libc.NetlinkNetfilter);
            var result = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            foreach (var reply in socket.Request(Message(GetChain, FlagRequest | FlagDump), "NFT_MSG_GETCHAIN dump (family ip)"))
            {
                if (reply.Payload.Length <= 4)
                    continue;
                var attributes = NetlinkAttributes.Parse(reply.Payload[4..]);
                if (attributes.String(1) is { } table && attributes.String(3) is { } chain)
                {
                    if (!result.TryGetValue(table, out var chains))
                        result[table] = chains = new HashSet<string>(StringComparer.Ordinal);
                    chains.Add(chain);
                }
            }
            return result;
        }
        return NetworkNamespace.RunIn(netnsPath, ReadHere);
    }

    /// <summary>Every rule of family ip by one NFT_MSG_GETRULE dump, in the kernel's order: table, chain and the
    /// message's attributes but the handle and position (what two loads of the same rules may differ in), as bytes.</summary>
    public static List<(string Table, string Chain, byte[] Attributes)> Rules(string? netnsPath)
    {
        List<(string, string, byte[])> ReadHere()
        {
            using var socket = NetlinkSocket.Open(Libc.NetlinkNetfilter);
            var result = new List<(string, string, byte[])>();
            foreach (var reply in socket.Request(Message(GetRule, FlagRequest | FlagDump), "NFT_MSG_GETRULE dump (family ip)"))
            {
                if (reply.Payload.Length <= 4)
                    continue;
                var kept = new List<byte>();
                var payload = reply.Payload.Span[4..];
                for (var at = 0; at + 4 <= payload.Length;)
                {
                    var length = BinaryPrimitives.ReadUInt16LittleEndian(payload[at..]);
                    var type = BinaryPrimitives.ReadUInt16LittleEndian(payload[(at + 2)..]) & 0x3fff;
                    var next = Math.Min(payload.Length, NetlinkMessageBuilder.Align(Math.Max(length, (ushort)4)) + at);
                    if (type is not (3 or 6)) // NFTA_RULE_HANDLE, NFTA_RULE_POSITION
                        kept.AddRange(payload[at..next]);
                    at = next;
                }
                var attributes = NetlinkAttributes.Parse(reply.Payload[4..]);
                result.Add((attributes.String(1) ?? "", attributes.String(2) ?? "", [.. kept]));
            }
            return result;
        }
        return NetworkNamespace.RunIn(netnsPath, ReadHere);
    }

    private static NetlinkMessageBuilder Message(ushort type, ushort flags) =>
        new NetlinkMessageBuilder((ushort)((Subsystem << 8) | type), flags).NfGen(FamilyIpv4);

    /// <summary>The next message, built in the scratch builder (one buffer for all: no garbage per message).</summary>
    private NetlinkMessageBuilder Message(ushort type, ushort flags, bool scratch) =>
        _scratch.Reset((ushort)((Subsystem << 8) | type), flags).NfGen(FamilyIpv4);

    /// <summary>Writes one rule's expressions (libnftnl's attribute order for each) into its message. Expression names
    /// are given NUL-terminated (<c>"cmp\0"u8</c>), as the attribute holds them.</summary>
    public sealed class RuleWriter
    {
        private readonly NfTablesRuleBatch _batch;
        private readonly NetlinkMessageBuilder _message;
        private int _list;

        internal RuleWriter(NfTablesRuleBatch batch, NetlinkMessageBuilder message) => (_batch, _message) = (batch, message);

        internal void Start(int list) => _list = list;

        /// <summary>payload load into register 1: base 1 network header, 2 transport header.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public RuleWriter Payload(uint headerBase, uint offset, uint length)
        {
            var begin = Begin("payload\0"u8);
            _message.AttributeBigEndian(1, 1).AttributeBigEndian(2, headerBase).AttributeBigEndian(3, offset).AttributeBigEndian(4, length);
            return Finish(begin);
        }

        /// <summary>cmp of register 1 with <paramref name="data"/>: op 0 eq, 1 neq.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public RuleWriter Compare(uint op, ReadOnlySpan<byte> data)
        {
            var begin = Begin("cmp\0"u8);
            _message.AttributeBigEndian(1, 1).AttributeBigEndian(2, op);
            Data(3, data);
            return Finish(begin);
        }

        /// <summary>meta load into register 1 (key 3 mark, 16 l4proto).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public RuleWriter Meta(uint key)
        {
            var begin = Begin("meta\0"u8);
            _message.AttributeBigEndian(2, key).AttributeBigEndian(1, 1);
            return Finish(begin);
        }

        /// <summary>bitwise on register 1: (r1 &amp; mask) ^ xor.</summary>
        public RuleWriter Bitwise(ReadOnlySpan<byte> mask, ReadOnlySpan<byte> xor)
        {
            var begin = Begin("bitwise\0"u8);
            _message.AttributeBigEndian(1, 1).AttributeBigEndian(2, 1).AttributeBigEndian(3, (uint)mask.Length);
            Data(4, mask);
            Data(5, xor);
            return Finish(begin);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public RuleWriter Counter()
        {
            var begin = Begin("counter\0"u8);
            Span<byte> zero = stackalloc byte[8];
            zero.Clear();
            _message.Attribute(1, zero).Attribute(2, zero);
            return Finish(begin);
        }

        /// <summary>immediate verdict: code (NF_DROP 0, NF_ACCEPT 1, NFT_JUMP -3, NFT_RETURN -5) and, for a jump, the
        /// chain (empty: none).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public RuleWriter Verdict(int code, ReadOnlySpan<char> chain)
        {
            var begin = Begin("immediate\0"u8);
            _message.AttributeBigEndian(1, 0);
            var data = _message.BeginNested(2 | Nested);
            var verdict = _message.BeginNested(2 | Nested);
            _message.AttributeBigEndian(1, unchecked((uint)code));
            if (!chain.IsEmpty)
                _message.Attribute(2, chain);
            _message.EndNested(verdict).EndNested(data);
            return Finish(begin);
        }

        /// <summary>An xtables extension run by the kernel's compat layer: <see cref="CompatMatch"/> or
        /// <see cref="CompatTarget"/>, its name (NUL-terminated), revision, info.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public RuleWriter Compat(ReadOnlySpan<byte> kind, ReadOnlySpan<byte> name, uint revision, ReadOnlySpan<byte> info)
        {
            var begin = Begin(kind);
            _message.Attribute(1, name).AttributeBigEndian(2, revision).Attribute(3, info);
            return Finish(begin);
        }

        /// <summary>Closes the list and adds NFTA_RULE_COMPAT (the -p protocol, its inversion flags) and, if given,
        /// NFTA_RULE_USERDATA (nft's TLVs: a comment).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void End(uint protocol, uint flags, ReadOnlySpan<byte> userData = default)
        {
            _message.EndNested(_list);
            var nest = _message.BeginNested(5 | Nested);
            _message.AttributeBigEndian(1, protocol).AttributeBigEndian(2, flags).EndNested(nest);
            if (!userData.IsEmpty)
                _message.Attribute(7, userData);
            _batch.Add(_message);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private (int Element, int Data) Begin(ReadOnlySpan<byte> name)
        {
            var element = _message.BeginNested(1 | Nested);
            _message.Attribute(1, name);
            return (element, _message.BeginNested(2 | Nested));
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private RuleWriter Finish((int Element, int Data) begin)
        {
            _message.EndNested(begin.Data).EndNested(begin.Element);
            return this;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Data(ushort type, ReadOnlySpan<byte> value)
        {
            var nest = _message.BeginNested((ushort)(type | Nested));
            _message.Attribute(1, value).EndNested(nest);
        }
    }
}
