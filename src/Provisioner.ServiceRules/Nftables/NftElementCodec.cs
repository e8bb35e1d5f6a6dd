using System.Buffers.Binary;
using System.Globalization;
using Provisioner.Host.Netlink;
using Provisioner.ServiceRules.Applying;

namespace Provisioner.ServiceRules.Nftables;

/// <summary>
/// Encodes the netlab table's elements (as <see cref="NftElement"/> writes them, nft's listing syntax) into the bytes
/// nft 1.0.6 sends for them: each field of a concatenation in a 4-byte register slot, zero padded; ipv4_addr and
/// inet_service in network byte order, inet_proto one byte, numgen's integer in host byte order; verdicts as codes.
/// The layout of a set comes from its declaration (<c>type a . b</c> or <c>typeof expr . expr</c>, <c>: data</c>).
/// </summary>
internal sealed class NftElementCodec
{
    private enum Field { Ipv4, Proto, Service, HostInteger }

    private readonly Field[] _key;
    private readonly Field[]? _data;
    private readonly bool _verdict;

    private NftElementCodec(string set, Field[] key, Field[]? data, bool verdict) =>
        (Set, _key, _data, _verdict) = (set, key, data, verdict);

    public string Set { get; }

    /// <summary>The codec of a set from its declaration, e.g. <c>typeof ip daddr . th dport : ip daddr . th dport;</c>.</summary>
    public static NftElementCodec For(NftSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var declaration = set.Declaration.Split(';')[0].Trim();
        var typeOf = declaration.StartsWith("typeof ", StringComparison.Ordinal);
        var body = declaration[(typeOf ? "typeof ".Length : "type ".Length)..];
        var parts = body.Split(" : ");
        Field[] Fields(string text) => [.. text.Split(" . ").Select(f => typeOf ? FromExpression(set.Name, f) : FromType(set.Name, f))];
        return parts.Length == 1 ? new(set.Name, Fields(parts[0]), null, false)
            : parts[1] == "verdict" ? new(set.Name, Fields(parts[0]), null, true)
            : new(set.Name, Fields(parts[0]), Fields(parts[1]), false);
    }

    /// <summary>Adds <paramref name="element"/> to <paramref name="batch"/>; a field that is not its type's syntax is an
    /// error naming the set, the element and the field.</summary>
    public void AddTo(NfTablesElementBatch batch, NftElement element)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(element);
        Span<byte> key = stackalloc byte[_key.Length * 4];
        Encode(_key, element.Key, key, element);
        if (_verdict)
            batch.Add(Set, key, Verdict(element), element.Comment);
        else if (_data is { } data)
        {
            Span<byte> value = stackalloc byte[data.Length * 4];
            Encode(data, element.Value ?? throw Bad(element, "value", "a map element needs a value"), value, element);
            batch.Add(Set, key, value, element.Comment);
        }
        else
            batch.Add(Set, key, [], element.Comment);
    }

    /// <summary>An element the kernel dumped, written as nft lists it (the inverse of <see cref="AddTo"/>).</summary>
    public NftElement Decode(NfTablesRawElement raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var value = _verdict ? raw.Verdict is { } v ? VerdictText(v) : null
            : _data is { } data && raw.Data is { } bytes ? Decode(data, bytes) : null;
        return new NftElement(Decode(_key, raw.Key), value, raw.Comment);
    }

    private string Decode(Field[] fields, byte[] bytes)
    {
        if (bytes.Length != fields.Length * 4)
            throw new NftLoadException($"set {Set}: the kernel holds a {bytes.Length}-byte field list where the set's type has {fields.Length * 4}");
        var text = new System.Text.StringBuilder(48);
        for (var i = 0; i < fields.Length; i++)
        {
            var slot = bytes.AsSpan(i * 4, 4);
            if (i > 0)
                text.Append(" . ");
            _ = fields[i] switch
            {
                Field.Ipv4 => text.Append(slot[0]).Append('.').Append(slot[1]).Append('.').Append(slot[2]).Append('.').Append(slot[3]),
                Field.Proto => slot[0] switch { 6 => text.Append("tcp"), 17 => text.Append("udp"), 132 => text.Append("sctp"), 1 => text.Append("icmp"), var p => text.Append(p) },
                Field.Service => text.Append(BinaryPrimitives.ReadUInt16BigEndian(slot)),
                _ => text.Append(System.Runtime.InteropServices.MemoryMarshal.Read<uint>(slot)),
            };
        }
        return text.ToString();
    }

    private static string VerdictText(NfTablesVerdict verdict) => verdict.Code switch
    {
        -4 => "goto " + verdict.Chain,
        -3 => "jump " + verdict.Chain,
        -5 => "return",
        -1 => "continue",
        1 => "accept",
        0 => "drop",
        var code => code.ToString(CultureInfo.InvariantCulture),
    };

    private void Encode(Field[] fields, string text, Span<byte> into, NftElement element)
    {
        var rest = text.AsSpan();
        for (var i = 0; i < fields.Length; i++)
        {
            var end = rest.IndexOf(" . ", StringComparison.Ordinal);
            if ((end < 0) != (i == fields.Length - 1))
                throw Bad(element, text, $"has {(end < 0 ? "fewer" : "more")} than the {fields.Length} fields of the set's type");
            var field = end < 0 ? rest : rest[..end];
            if (!TryEncode(fields[i], field, into.Slice(i * 4, 4)))
                throw Bad(element, field.ToString(), $"is not {Describe(fields[i])} (field {i + 1} of {fields.Length})");
            rest = end < 0 ? [] : rest[(end + 3)..];
        }
    }

    private static bool TryEncode(Field field, ReadOnlySpan<char> text, Span<byte> slot)
    {
        slot.Clear();
        switch (field)
        {
            case Field.Ipv4:
                return TryIpv4(text, slot);
            case Field.Proto:
                if (Protocol(text) is not { } protocol)
                    return false;
                slot[0] = protocol;
                return true;
            case Field.Service:
                if (!ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
                    return false;
                BinaryPrimitives.WriteUInt16BigEndian(slot, port);
                return true;
            default:
                if (!uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                    return false;
                System.Runtime.InteropServices.MemoryMarshal.Write(slot, in number); // host byte order, as nft's integer
                return true;
        }
    }

    /// <summary>A dotted quad as nft lists it (four decimal octets), in network byte order.</summary>
    private static bool TryIpv4(ReadOnlySpan<char> text, Span<byte> slot)
    {
        for (var octet = 0; octet < 4; octet++)
        {
            var end = octet == 3 ? text.Length : text.IndexOf('.');
            if (end <= 0 || !byte.TryParse(text[..end], NumberStyles.None, CultureInfo.InvariantCulture, out slot[octet]))
                return false;
            text = octet == 3 ? [] : text[(end + 1)..];
        }
        return true;
    }

    private static byte? Protocol(ReadOnlySpan<char> text) => text switch
    {
        "tcp" => 6,
        "udp" => 17,
        "sctp" => 132,
        "icmp" => 1,
        _ => byte.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : null,
    };

    private readonly Dictionary<string, NfTablesVerdict> _verdicts = new(StringComparer.Ordinal); // a few: goto pick-1..N

    private NfTablesVerdict Verdict(NftElement element)
    {
        var value = element.Value ?? throw Bad(element, "value", "a verdict map element needs a verdict");
        if (!_verdicts.TryGetValue(value, out var verdict))
            _verdicts[value] = verdict = ParseVerdict(element, value);
        return verdict;
    }

    private NfTablesVerdict ParseVerdict(NftElement element, string value) =>
        value.Split(' ') switch
        {
            ["goto", var chain] => NfTablesVerdict.Goto(chain),
            ["jump", var chain] => NfTablesVerdict.Jump(chain),
            ["accept"] => NfTablesVerdict.Accept,
            ["drop"] => NfTablesVerdict.Drop,
            _ => throw Bad(element, value, "is not a verdict (goto CHAIN, jump CHAIN, accept, drop)"),
        };

    private NftLoadException Bad(NftElement element, string field, string problem) =>
        new($"set {Set}, element {element.Text}: '{field}' {problem} (a netlab bug: the compiler wrote it)");

    private static string Describe(Field field) => field switch
    {
        Field.Ipv4 => "an IPv4 address",
        Field.Proto => "a protocol (tcp, udp, sctp or a number)",
        Field.Service => "a port (0-65535)",
        _ => "an unsigned 32-bit integer",
    };

    private static Field FromType(string set, string type) => type switch
    {
        "ipv4_addr" => Field.Ipv4,
        "inet_proto" => Field.Proto,
        "inet_service" => Field.Service,
        _ => throw new NftLoadException($"set {set}: type '{type}' has no netlink encoding in netlab (ipv4_addr, inet_proto, inet_service)"),
    };

    private static Field FromExpression(string set, string expression) => expression switch
    {
        "ip daddr" or "ip saddr" or "ct original ip daddr" => Field.Ipv4,
        "meta l4proto" => Field.Proto,
        "th dport" or "th sport" or "ct original proto-dst" => Field.Service,
        _ when expression.StartsWith("numgen ", StringComparison.Ordinal) => Field.HostInteger,
        _ => throw new NftLoadException($"set {set}: typeof '{expression}' has no netlink encoding in netlab"),
    };
}
