using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using Provisioner.Errors;

namespace Provisioner.ServiceRules.Iptables.Legacy;

/// <summary>A rule the direct writer has no encoding for: the load goes to iptables-legacy-restore instead.</summary>
public sealed class LegacyEncodingException : NetlabException
{
    public LegacyEncodingException(string message) : base(message) { }

    public LegacyEncodingException() : base("no x_tables encoding") { }

    public LegacyEncodingException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// Encodes one rule of netlab's closed iptables-save grammar (what <see cref="IptablesRule"/> writes) as the struct
/// ipt_entry iptables-legacy 1.8.9 builds for it on x86_64 / arm64 (LP64): the same match and target revisions and
/// the same bytes (a privileged spec loads a varied table both ways and compares IPT_SO_GET_ENTRIES). Anything else,
/// option or value, is a <see cref="LegacyEncodingException"/> naming it, never a guess.
/// </summary>
internal static class LegacyRuleEncoder
{
    /// <summary>A rule's words as ranges of its text: no string per word (150k rules, 1.4M words at 10k services).</summary>
    internal readonly struct Tokens(string rule, Range[] ranges, int count)
    {
        public int Count => count;

        public ReadOnlySpan<char> this[int i] => rule.AsSpan()[ranges[i]];
    }

    [ThreadStatic]
    private static Range[]? t_ranges;

    public const int EntrySize = 112; // struct ipt_entry: ipt_ip 84, nfcache, target_offset, next_offset, comefrom, counters
    private const int HeaderSize = 32; // struct xt_entry_match / xt_entry_target: size, name[29], revision
    public const int StandardTargetSize = 40;
    public const int ErrorTargetSize = 64;
    public const int Accept = -2, Drop = -1, Return = -5;

    /// <summary>Appends the entry of <paramref name="rule"/> (in <paramref name="chain"/>) to <paramref name="output"/>;
    /// a jump to a user chain is left as a fixup (its offset is known only once every chain is placed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a first sync runs it 150k times in a cold process
    public static void Encode(string rule, string chain, BlobWriter output, HashSet<string>.AlternateLookup<ReadOnlySpan<char>> userChains, List<(int At, string Chain)> fixups)
    {
        var tokens = Tokenize(rule);
        if (tokens.Count < 2 || !tokens[0].SequenceEqual("-A") || !tokens[1].SequenceEqual(chain))
            throw Unknown(rule, $"does not start with -A {chain}");
        var start = output.Length;
        output.Zero(EntrySize);
        var entry = start;
        var i = 2;
        var negate = false;
        byte invflags = 0;
        var targeted = false;
        while (i < tokens.Count)
        {
            var token = tokens[i++];
            switch (token)
            {
                case "!":
                    negate = true;
                    continue;
                case "-s" or "-d" when i < tokens.Count:
                    var source = token.SequenceEqual("-s");
                    var (address, mask) = Cidr(tokens[i++], rule);
                    var at = entry + (source ? 0 : 4);
                    output.WriteUInt32BigEndian(at, address);
                    output.WriteUInt32BigEndian(at + 8, mask);
                    if (negate)
                        invflags |= source ? (byte)0x08 : (byte)0x10;
                    break;
                case "-p" when i < tokens.Count && !negate:
                    output.WriteUInt16(entry + 80, tokens[i++] switch
                    {
                        "tcp" => 6,
                        "udp" => 17,
                        "sctp" => 132,
                        var other => throw Unknown(rule, $"protocol {other.ToString()}"),
                    });
                    break;
                case "-m" when i < tokens.Count && !negate:
                    i = Match(tokens, i, output, rule);
                    break;
                case "-j" when i < tokens.Count && !negate:
                    targeted = true;
                    var targetOffset = output.Length - entry;
                    i = Target(tokens, i, output, rule, userChains, fixups);
                    output.WriteUInt16(entry + 88, (ushort)targetOffset);
                    break;
                default:
                    throw Unknown(rule, $"option {(negate ? "! " : "")}{token.ToString()}");
            }
            negate = false;
        }
        if (!targeted || negate)
            throw Unknown(rule, "no -j target");
        output.Bytes[entry + 83] = invflags;
        output.WriteUInt16(entry + 90, (ushort)(output.Length - entry));
    }

    /// <summary>An entry with no matches and a standard verdict (a built-in chain's policy, a user chain's RETURN).</summary>
    public static void Standard(BlobWriter output, int verdict)
    {
        var entry = output.Length;
        output.Zero(EntrySize);
        output.WriteUInt16(entry + 88, EntrySize);
        output.WriteUInt16(entry + 90, EntrySize + StandardTargetSize);
        StandardTarget(output, verdict);
    }

    /// <summary>A user chain's head (an ERROR target carrying its name), or the table's end ("ERROR").</summary>
    public static void Error(BlobWriter output, string name)
    {
        var entry = output.Length;
        output.Zero(EntrySize);
        output.WriteUInt16(entry + 88, EntrySize);
        output.WriteUInt16(entry + 90, EntrySize + ErrorTargetSize);
        var data = Header(output, "ERROR", 0, 30);
        if (Encoding.ASCII.GetByteCount(name) > 28)
            throw new LegacyEncodingException($"chain name {name} is longer than 28 characters");
        Encoding.ASCII.GetBytes(name, output.Bytes.AsSpan(data));
    }

    private static int StandardTarget(BlobWriter output, int verdict)
    {
        var data = Header(output, "", 0, 4);
        output.WriteInt32(data, verdict);
        return data;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a first sync runs it 150k times in a cold process
    private static int Match(Tokens t, int i, BlobWriter o, string rule)
    {
        var name = t[i++].ToString(); // one of a few names: interned below by the switch's literals
        ReadOnlySpan<char> Next(string option) => i < t.Count ? t[i++] : throw Unknown(rule, $"-m {name} {option} without a value");
        bool Is(string option)
        {
            if (i < t.Count && t[i].SequenceEqual(option))
            {
                i++;
                return true;
            }
            return false;
        }
        switch (name)
        {
            case "comment":
                {
                    if (!Is("--comment"))
                        throw Unknown(rule, "-m comment without --comment");
                    var text = Next("--comment");
                    var data = Header(o, "comment", 0, 256);
                    if (Encoding.UTF8.GetByteCount(text) > 255)
                        throw Unknown(rule, "a comment longer than 255 bytes");
                    Encoding.UTF8.GetBytes(text, o.Bytes.AsSpan(data, 256));
                    break;
                }
            case "tcp" or "udp":
                {
                    var data = Header(o, name, 0, name == "tcp" ? 12 : 10);
                    o.WriteUInt16(data + 2, 0xFFFF);
                    o.WriteUInt16(data + 6, 0xFFFF);
                    while (true)
                    {
                        if (Is("--dport"))
                            Port(data + 4, Next("--dport"));
                        else if (Is("--sport"))
                            Port(data, Next("--sport"));
                        else
                            break;
                    }
                    break;
                }
            case "statistic":
                {
                    if (!Is("--mode") || !Next("--mode").SequenceEqual("random") || !Is("--probability"))
                        throw Unknown(rule, "-m statistic other than --mode random --probability P");
                    if (!double.TryParse(Next("--probability"), NumberStyles.Float, CultureInfo.InvariantCulture, out var p) || p < 0 || p > 1)
                        throw Unknown(rule, "a --probability outside 0..1");
                    var stored = (uint)Math.Round(0x80000000 * p, MidpointRounding.AwayFromZero); // libxt_statistic: lround
                    var data = Header(o, "statistic", 0, 24);
                    o.WriteUInt32(data + 4, stored);
                    o.WriteUInt32(data + 12, stored); // u.nth.count = every - packet, every aliasing the probability
                    break;
                }
            case "conntrack":
                {
                    if (!Is("--ctstate"))
                        throw Unknown(rule, "-m conntrack other than --ctstate");
                    ushort states = 0;
                    var list = Next("--ctstate");
                    foreach (var part in list.Split(','))
                        states |= list[part] switch
                        {
                            "INVALID" => 1,
                            "ESTABLISHED" => 2,
                            "RELATED" => 4,
                            "NEW" => 8,
                            var state => throw Unknown(rule, $"conntrack state {state.ToString()}"),
                        };
                    var data = Header(o, "conntrack", 3, 164);
                    o.WriteUInt16(data + 146, 1); // XT_CONNTRACK_STATE
                    o.WriteUInt16(data + 150, states);
                    break;
                }
            case "addrtype":
                {
                    var data = Header(o, "addrtype", 1, 8);
                    while (true)
                    {
                        if (Is("--src-type"))
                            o.WriteUInt16(data, AddressType(Next("--src-type")));
                        else if (Is("--dst-type"))
                            o.WriteUInt16(data + 2, AddressType(Next("--dst-type")));
                        else
                            break;
                    }
                    break;
                }
            case "mark":
                {
                    var invert = Is("!");
                    if (!Is("--mark"))
                        throw Unknown(rule, "-m mark without --mark");
                    var (value, mask) = ValueMask(Next("--mark"));
                    var data = Header(o, "mark", 1, 9);
                    o.WriteUInt32(data, value);
                    o.WriteUInt32(data + 4, mask);
                    o.Bytes[data + 8] = invert ? (byte)1 : (byte)0;
                    break;
                }
            case "recent":
                {
                    var data = Header(o, "recent", 1, 228);
                    byte checkSet = 0;
                    var named = false;
                    o.WriteUInt32BigEndian(data + 212, 0xFFFFFFFF);
                    while (i < t.Count && t[i].StartsWith("--"))
                    {
                        var option = t[i++].ToString();
                        switch (option)
                        {
                            case "--rcheck": checkSet |= 1; break;
                            case "--set": checkSet |= 2; break;
                            case "--update": checkSet |= 4; break;
                            case "--remove": checkSet |= 8; break;
                            case "--reap": checkSet |= 32; break;
                            case "--rsource": o.Bytes[data + 210] = 0; break;
                            case "--rdest": o.Bytes[data + 210] = 1; break;
                            case "--seconds":
                                o.WriteUInt32(data, uint.TryParse(Next(option), CultureInfo.InvariantCulture, out var s) ? s : throw Unknown(rule, "--seconds"));
                                break;
                            case "--name":
                                var recentName = Next(option);
                                if (recentName.Length >= 200 || !Ascii.IsValid(recentName))
                                    throw Unknown(rule, "a recent --name of 200 bytes or more, or not ASCII");
                                Encoding.ASCII.GetBytes(recentName, o.Bytes.AsSpan(data + 10));
                                named = true;
                                break;
                            case "--mask":
                                var (maskAddress, _) = Cidr(Next(option), rule);
                                o.WriteUInt32BigEndian(data + 212, maskAddress);
                                break;
                            default:
                                throw Unknown(rule, $"-m recent {option}");
                        }
                    }
                    if (!named)
                        Encoding.ASCII.GetBytes("DEFAULT", o.Bytes.AsSpan(data + 10));
                    o.Bytes[data + 8] = checkSet;
                    break;
                }
            default:
                throw Unknown(rule, $"match -m {name}");
        }
        if (i < t.Count && t[i] is not ("-m" or "-j" or "!"))
            throw Unknown(rule, $"-m {name} option {t[i].ToString()}");
        return i;

        void Port(int at, ReadOnlySpan<char> text)
        {
            var colon = text.IndexOf(':');
            if (!ushort.TryParse(colon < 0 ? text : text[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out var low)
                || !ushort.TryParse(colon < 0 ? text : text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var high))
                throw Unknown(rule, $"port {text.ToString()}");
            o.WriteUInt16(at, low);
            o.WriteUInt16(at + 2, high);
        }

        ushort AddressType(ReadOnlySpan<char> type) => type switch
        {
            "UNICAST" => 1 << 1,
            "LOCAL" => 1 << 2,
            "BROADCAST" => 1 << 3,
            _ => throw Unknown(rule, $"address type {type.ToString()}"),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a first sync runs it 150k times in a cold process
    private static int Target(Tokens t, int i, BlobWriter o, string rule, HashSet<string>.AlternateLookup<ReadOnlySpan<char>> userChains, List<(int, string)> fixups)
    {
        var name = t[i++];
        bool Is(string option)
        {
            if (i < t.Count && t[i].SequenceEqual(option))
            {
                i++;
                return true;
            }
            return false;
        }
        ReadOnlySpan<char> Next(string option) => i < t.Count ? t[i++] : throw Unknown(rule, $"-j {option} without a value");
        switch (name)
        {
            case "ACCEPT": StandardTarget(o, Accept); break;
            case "DROP": StandardTarget(o, Drop); break;
            case "RETURN": StandardTarget(o, Return); break;
            case "DNAT":
                {
                    if (!Is("--to-destination"))
                        throw Unknown(rule, "-j DNAT without --to-destination");
                    var text = Next("--to-destination");
                    var colon = text.IndexOf(':');
                    var data = Header(o, "DNAT", 2, 42);
                    var (address, _) = Cidr(colon < 0 ? text : text[..colon], rule);
                    var flags = 1u; // NF_NAT_RANGE_MAP_IPS
                    o.WriteUInt32BigEndian(data + 4, address);
                    o.WriteUInt32BigEndian(data + 20, address);
                    if (colon >= 0)
                    {
                        if (!ushort.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port == 0)
                            throw Unknown(rule, $"DNAT port in {text.ToString()}");
                        flags |= 2; // NF_NAT_RANGE_PROTO_SPECIFIED
                        o.WriteUInt16BigEndian(data + 36, port);
                        o.WriteUInt16BigEndian(data + 38, port);
                    }
                    o.WriteUInt32(data, flags);
                    break;
                }
            case "MARK":
                {
                    if (!Is("--set-xmark"))
                        throw Unknown(rule, "-j MARK other than --set-xmark");
                    var (value, mask) = ValueMask(Next("--set-xmark"));
                    var data = Header(o, "MARK", 2, 8);
                    o.WriteUInt32(data, value);
                    o.WriteUInt32(data + 4, mask);
                    break;
                }
            case "MASQUERADE":
                {
                    var data = Header(o, "MASQUERADE", 0, 20);
                    o.WriteUInt32(data, 1); // rangesize
                    if (Is("--random-fully"))
                        o.WriteUInt32(data + 4, 1 << 4); // NF_NAT_RANGE_PROTO_RANDOM_FULLY
                    break;
                }
            case "REJECT":
                {
                    if (Is("--reject-with") && !Next("--reject-with").SequenceEqual("icmp-port-unreachable"))
                        throw Unknown(rule, $"-j REJECT --reject-with {t[i - 1].ToString()}");
                    var data = Header(o, "REJECT", 0, 4);
                    o.WriteUInt32(data, 3); // IPT_ICMP_PORT_UNREACHABLE
                    break;
                }
            default:
                if (!userChains.TryGetValue(name, out var chain))
                    throw Unknown(rule, $"target {name.ToString()} (not a chain of the table)");
                fixups.Add((StandardTarget(o, 0), chain));
                break;
        }
        if (i < t.Count)
            throw Unknown(rule, $"-j {name.ToString()} option {t[i].ToString()}");
        return i;
    }

    /// <summary>A match or target header; returns where its data starts (the data zeroed, its size 8-aligned).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a first sync runs it 150k times in a cold process
    private static int Header(BlobWriter o, string name, byte revision, int dataSize)
    {
        var size = HeaderSize + Align(dataSize);
        var at = o.Length;
        o.Zero(size);
        o.WriteUInt16(at, (ushort)size);
        Encoding.ASCII.GetBytes(name, o.Bytes.AsSpan(at + 2));
        o.Bytes[at + 31] = revision;
        return at + HeaderSize;
    }

    private static int Align(int size) => (size + 7) & ~7;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a first sync runs it 150k times in a cold process
    private static (uint Address, uint Mask) Cidr(ReadOnlySpan<char> text, string rule)
    {
        var slash = text.IndexOf('/');
        var prefix = 32;
        var address = 0u;
        var octets = 0;
        foreach (var part in (slash < 0 ? text : text[..slash]).Split('.'))
        {
            var octet = (slash < 0 ? text : text[..slash])[part];
            if (++octets > 4 || octet.Length is 0 or > 3 || !byte.TryParse(octet, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                throw Unknown(rule, $"address {text.ToString()}");
            address = (address << 8) | value;
        }
        if (octets != 4 || (slash >= 0 && (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > 32)))
            throw Unknown(rule, $"address {text.ToString()}");
        var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        return (address & mask, mask);
    }

    private static (uint Value, uint Mask) ValueMask(ReadOnlySpan<char> text)
    {
        var slash = text.IndexOf('/');
        return (Number(slash < 0 ? text : text[..slash]), slash < 0 ? uint.MaxValue : Number(text[(slash + 1)..]));

        static uint Number(ReadOnlySpan<char> n) => n.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? uint.Parse(n[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : uint.Parse(n, NumberStyles.None, CultureInfo.InvariantCulture);
    }

    /// <summary>iptables-save's words: separated by spaces, a double-quoted word may hold spaces (no escapes in
    /// netlab's rules; a backslash or a stray quote is refused).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a first sync runs it 150k times in a cold process
    internal static Tokens Tokenize(string rule)
    {
        var ranges = t_ranges ??= new Range[64];
        var count = 0;
        var i = 0;
        while (i < rule.Length)
        {
            if (rule[i] == ' ')
            {
                i++;
                continue;
            }
            if (count == ranges.Length)
                throw Unknown(rule, "more than 64 words");
            int start, end, next;
            if (rule[i] == '"')
            {
                end = rule.IndexOf('"', i + 1);
                if (end < 0 || (end + 1 < rule.Length && rule[end + 1] != ' '))
                    throw Unknown(rule, "an unterminated quote");
                (start, next) = (i + 1, end + 1);
            }
            else
            {
                end = rule.IndexOf(' ', i);
                if (end < 0)
                    end = rule.Length;
                (start, next) = (i, end);
            }
            if (rule.AsSpan(start, end - start).IndexOfAny('"', '\\') >= 0)
                throw Unknown(rule, "a quote or backslash inside a word");
            ranges[count++] = new Range(start, end);
            i = next;
        }
        return new Tokens(rule, ranges, count);
    }

    private static LegacyEncodingException Unknown(string rule, string what) =>
        new($"no x_tables encoding for {what} in rule: {rule}");
}
