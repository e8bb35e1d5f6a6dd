using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Text;
using Provisioner.Host.Netlink;

namespace Provisioner.ServiceRules.Iptables;

/// <summary>
/// One iptables rule (the text <see cref="IptablesRule"/> writes) encoded as iptables-nft 1.8.9 encodes it into
/// nf_tables expressions (pinned byte for byte against the tool's own batches in IptablesNftRuleCodecSpecs):
/// <c>-p</c> as meta l4proto + cmp, <c>-s</c>/<c>-d</c> as a network-header payload of the prefix's bytes + cmp (eq or
/// neq), <c>-m tcp|udp --dport</c> as a transport-header payload + cmp, <c>-m mark</c> as meta mark + bitwise + cmp,
/// every other match (comment, a bare tcp/udp, addrtype, conntrack, statistic, recent) and target (MARK, MASQUERADE,
/// DNAT, REJECT) as the compat layer's xt structures, then a counter, then the verdict or target. A rule of any other
/// shape returns false: the caller leaves the whole sync to the tool.
/// <para>
/// With <c>commentAsUserData</c> a comment that is the rule's last match is kept as nft keeps one, in the rule's userdata
/// (NFTA_RULE_USERDATA, a NFTNL_UDATA_RULE_COMMENT), not as an xt comment match: the kernel then parses no compat match
/// for it (at 10k services ~0.7 s of the 3.2 s the kernel spends on the iptables-nft tool's batch, measured with and
/// without the comments). iptables-nft 1.8 reads such a comment back as the last match (<c>... -m comment --comment
/// "x" -j ...</c>), and its -C and -D find the rule by that text: the same line the tool writes, so partial syncs by
/// the tool and reads by iptables-nft-save see no difference.
/// </para>
/// </summary>
internal static class IptablesNftRuleCodec
{
    private const uint NetworkHeader = 1, TransportHeader = 2, MetaMark = 3, MetaL4Proto = 16;
    private const uint Equal = 0, NotEqual = 1;

    /// <summary>Parses and encodes "-A CHAIN ..." (appended) or "-I CHAIN 1 ..." (inserted at the head).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryAdd(NfTablesRuleBatch batch, string table, string line, bool commentAsUserData = false)
    {
        var tokens = Tokenize(line);
        if (tokens is null || tokens.Count < 2)
            return false;
        var append = tokens[0] == "-A";
        var at = 2;
        if (!append)
        {
            if (tokens[0] != "-I" || tokens.Count < 3 || tokens[2] != "1")
                return false;
            at = 3;
        }
        var rule = Parse(tokens, at, commentAsUserData);
        if (rule is null)
            return false;
        var writer = batch.AddRule(table, tokens[1], append);
        Encode(writer, rule);
        return true;
    }

    private sealed record Address(bool Negate, byte[] Bytes);

    private sealed class Parsed
    {
        public Address? Source, Destination;
        public byte Protocol;
        public readonly List<Action<NfTablesRuleBatch.RuleWriter>> Matches = [];
        public Action<NfTablesRuleBatch.RuleWriter>? Target;
        public string? Comment; // kept as userdata
        public int CommentAt; // its place among the matches
    }

    /// <summary>nft's comment userdata (NFTNL_UDATA_RULE_COMMENT): type 0, length, the text and its NUL; nft keeps
    /// comments under 128 bytes, and so does the codec (a longer one stays an xt match).</summary>
    private const int MaxUserComment = 127;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Parsed? Parse(List<string> t, int i, bool commentAsUserData)
    {
        var rule = new Parsed();
        while (i < t.Count)
        {
            var negate = t[i] == "!";
            if (negate)
                i++;
            if (i + 1 >= t.Count)
                return null;
            var (option, value) = (t[i], t[i + 1]);
            i += 2;
            switch (option)
            {
                case "-s" or "-d":
                    if (Prefix(value) is not { } bytes || (option == "-s" ? rule.Source : rule.Destination) is not null)
                        return null;
                    if (option == "-s")
                        rule.Source = new Address(negate, bytes);
                    else
                        rule.Destination = new Address(negate, bytes);
                    break;
                case "-p" when !negate && rule.Protocol == 0:
                    rule.Protocol = value switch { "tcp" => 6, "udp" => 17, _ => 0 };
                    if (rule.Protocol == 0)
                        return null;
                    break;
                case "-m" when !negate && commentAsUserData && value == "comment" && rule.Comment is null && i + 1 < t.Count && t[i] == "--comment"
                    && Encoding.UTF8.GetByteCount(t[i + 1]) <= MaxUserComment:
                    (rule.Comment, rule.CommentAt) = (t[i + 1], rule.Matches.Count);
                    i += 2;
                    break;
                case "-m" when !negate:
                    if (Match(value, t, ref i, rule) is not { } match)
                        return null;
                    rule.Matches.Add(match);
                    break;
                case "-j" when !negate:
                    rule.Target = Target(value, t, ref i);
                    if (rule.Target is null || i != t.Count)
                        return null;
                    break;
                default:
                    return null;
            }
        }
        if (rule.Target is null)
            return null;
        if (rule.Comment is { } text && rule.CommentAt != rule.Matches.Count)
        {
            // other matches follow it: iptables-nft would print a userdata comment after them, so it stays an xt match
            var i2 = 0;
            rule.Matches.Insert(rule.CommentAt, Match("comment", ["--comment", text], ref i2, rule)!);
            rule.Comment = null;
        }
        return rule;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Encode(NfTablesRuleBatch.RuleWriter w, Parsed rule)
    {
        if (rule.Protocol != 0)
            w.Meta(MetaL4Proto).Compare(Equal, [rule.Protocol]);
        if (rule.Source is { } s)
            w.Payload(NetworkHeader, 12, (uint)s.Bytes.Length).Compare(s.Negate ? NotEqual : Equal, s.Bytes);
        if (rule.Destination is { } d)
            w.Payload(NetworkHeader, 16, (uint)d.Bytes.Length).Compare(d.Negate ? NotEqual : Equal, d.Bytes);
        foreach (var match in rule.Matches)
            match(w);
        w.Counter();
        rule.Target!(w);
        if (rule.Comment is not { } comment)
        {
            w.End(rule.Protocol, 0);
            return;
        }
        Span<byte> userData = stackalloc byte[MaxUserComment + 3];
        var length = Encoding.UTF8.GetBytes(comment, userData[2..]);
        (userData[0], userData[1], userData[2 + length]) = (0, (byte)(length + 1), 0);
        w.End(rule.Protocol, 0, userData[..(length + 3)]);
    }

    /// <summary>The address bytes a prefix keeps (iptables-nft loads only those); a prefix not on a byte boundary: null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static byte[]? Prefix(string cidr)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IPAddress.TryParse(cidr[..slash], out var address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork
            || !int.TryParse(cidr[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length is <= 0 or > 32 || length % 8 != 0)
            return null;
        return address.GetAddressBytes()[..(length / 8)];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Action<NfTablesRuleBatch.RuleWriter>? Match(string name, List<string> t, ref int i, Parsed rule)
    {
        string? Next(ref int at) => at < t.Count ? t[at++] : null;
        switch (name)
        {
            case "comment" when Next(ref i) == "--comment" && Next(ref i) is { } text && Encoding.UTF8.GetByteCount(text) < 256:
                var comment = new byte[256];
                Encoding.UTF8.GetBytes(text, comment);
                return w => w.Compat("match", "comment", 0, comment);
            case "tcp" or "udp" when rule.Protocol == (name == "tcp" ? 6 : 17):
                if (i + 1 < t.Count && t[i] == "--dport")
                {
                    if (!ushort.TryParse(t[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var port))
                        return null;
                    i += 2;
                    var bytes = new byte[2];
                    BinaryPrimitives.WriteUInt16BigEndian(bytes, port);
                    return w => w.Payload(TransportHeader, 2, 2).Compare(Equal, bytes);
                }
                var ports = new byte[16]; // xt_tcp / xt_udp: spts {0, 65535}, dpts {0, 65535}, XT_ALIGNed
                BinaryPrimitives.WriteUInt16LittleEndian(ports.AsSpan(2), 0xffff);
                BinaryPrimitives.WriteUInt16LittleEndian(ports.AsSpan(6), 0xffff);
                return w => w.Compat("match", name, 0, ports);
            case "addrtype":
                {
                    var side = Next(ref i);
                    if (side is not ("--dst-type" or "--src-type") || Next(ref i) != "LOCAL")
                        return null;
                    var info = new byte[8]; // xt_addrtype_info_v1: source, dest (u16), flags; XT_ADDRTYPE_LOCAL = 4
                    info[side == "--src-type" ? 0 : 2] = 4;
                    return w => w.Compat("match", "addrtype", 1, info);
                }
            case "conntrack" when Next(ref i) == "--ctstate" && Next(ref i) == "NEW":
                {
                    var info = new byte[168]; // xt_conntrack_mtinfo3: match_flags XT_CONNTRACK_STATE, state_mask NEW
                    info[146] = 1;
                    info[150] = 8;
                    return w => w.Compat("match", "conntrack", 3, info);
                }
            case "statistic" when Next(ref i) == "--mode" && Next(ref i) == "random" && Next(ref i) == "--probability"
                && double.TryParse(Next(ref i), NumberStyles.Float, CultureInfo.InvariantCulture, out var p) && p is > 0 and <= 1:
                {
                    // xt_statistic_info: mode random, u.random.probability = lround(2^31 p); libxt_statistic also sets
                    // u.nth.count = every - packet, which aliases the probability
                    var stored = (uint)Math.Round(0x80000000 * p, MidpointRounding.AwayFromZero);
                    var info = new byte[24];
                    BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(4), stored);
                    BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(12), stored);
                    return w => w.Compat("match", "statistic", 0, info);
                }
            case "recent":
                return Recent(t, ref i);
            case "mark" when i + 2 < t.Count && t[i] == "!" && t[i + 1] == "--mark" && MarkPair(t[i + 2]) is { } pair:
                {
                    i += 3;
                    var (value, mask) = pair;
                    return w => w.Meta(MetaMark).Bitwise(Le(mask), Le(0)).Compare(NotEqual, Le(value));
                }
            default:
                return null;
        }
    }

    /// <summary>xt_recent_mtinfo_v1 for "--rcheck --seconds S --reap" or "--set", then "--name N --mask 255.255.255.255 --rsource".</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Action<NfTablesRuleBatch.RuleWriter>? Recent(List<string> t, ref int i)
    {
        var info = new byte[232];
        if (i < t.Count && t[i] == "--set")
        {
            info[8] = 2; // XT_RECENT_SET
            i++;
        }
        else if (i + 3 < t.Count && t[i] == "--rcheck" && t[i + 1] == "--seconds" && t[i + 3] == "--reap"
            && uint.TryParse(t[i + 2], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            BinaryPrimitives.WriteUInt32LittleEndian(info, seconds);
            info[8] = 0x21; // XT_RECENT_CHECK | XT_RECENT_REAP
            i += 4;
        }
        else
            return null;
        if (i + 4 >= t.Count + 0 || t[i] != "--name" || t[i + 2] != "--mask" || t[i + 3] != "255.255.255.255" || t[i + 4] != "--rsource"
            || Encoding.UTF8.GetByteCount(t[i + 1]) >= 200)
            return null;
        Encoding.UTF8.GetBytes(t[i + 1], info.AsSpan(10));
        info.AsSpan(212, 4).Fill(0xff);
        i += 5;
        return w => w.Compat("match", "recent", 1, info);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Action<NfTablesRuleBatch.RuleWriter>? Target(string name, List<string> t, ref int i)
    {
        var rest = t.Count - i;
        switch (name)
        {
            case "RETURN" or "ACCEPT" or "DROP" when rest == 0:
                var code = name switch { "RETURN" => -5, "ACCEPT" => 1, _ => 0 };
                return w => w.Verdict(code, null);
            case "MARK" when rest == 2 && t[i] == "--set-xmark" && MarkPair(t[i + 1]) is var (value, mask):
                {
                    i += 2;
                    var info = new byte[8]; // xt_mark_tginfo2
                    BinaryPrimitives.WriteUInt32LittleEndian(info, value);
                    BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(4), mask);
                    return w => w.Compat("target", "MARK", 2, info);
                }
            case "MASQUERADE" when rest == 0 || (rest == 1 && t[i] == "--random-fully"):
                {
                    var info = new byte[24]; // nf_nat_ipv4_multi_range_compat: rangesize 1, flags
                    info[0] = 1;
                    info[4] = (byte)(rest == 1 ? 0x10 : 0); // NF_NAT_RANGE_PROTO_RANDOM_FULLY
                    i += rest;
                    return w => w.Compat("target", "MASQUERADE", 0, info);
                }
            case "DNAT" when rest == 2 && t[i] == "--to-destination" && HostPort(t[i + 1]) is var (address, port):
                {
                    i += 2;
                    var info = new byte[48]; // nf_nat_range2: flags MAP_IPS | PROTO_SPECIFIED, min/max address and port
                    info[0] = 3;
                    address.CopyTo(info, 4);
                    address.CopyTo(info, 20);
                    BinaryPrimitives.WriteUInt16BigEndian(info.AsSpan(36), port);
                    BinaryPrimitives.WriteUInt16BigEndian(info.AsSpan(38), port);
                    return w => w.Compat("target", "DNAT", 2, info);
                }
            case "REJECT" when rest == 2 && t[i] == "--reject-with" && t[i + 1] == "icmp-port-unreachable":
                {
                    i += 2;
                    var info = new byte[8]; // ipt_reject_info: IPT_ICMP_PORT_UNREACHABLE
                    info[0] = 3;
                    return w => w.Compat("target", "REJECT", 0, info);
                }
            default:
                // a jump to a user chain: iptables-nft writes an immediate NFT_JUMP verdict
                return rest == 0 && name.StartsWith("NETLAB-", StringComparison.Ordinal) ? w => w.Verdict(-3, name) : null;
        }
    }

    private static (uint, uint)? MarkPair(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && Hex(text[..slash]) is { } value && Hex(text[(slash + 1)..]) is { } mask ? (value, mask) : null;
    }

    private static uint? Hex(string text) =>
        text.StartsWith("0x", StringComparison.Ordinal) && uint.TryParse(text[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static byte[] Le(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    private static (byte[], ushort)? HostPort(string text)
    {
        var colon = text.LastIndexOf(':');
        return colon > 0 && IPAddress.TryParse(text[..colon], out var a) && a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            && ushort.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port > 0
            ? (a.GetAddressBytes(), port) : null;
    }

    /// <summary>Splits on spaces; a double-quoted word (a comment) is one token. Backslashes or stray quotes: null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static List<string>? Tokenize(string line)
    {
        var tokens = new List<string>();
        for (var i = 0; i < line.Length;)
        {
            if (line[i] == ' ')
            {
                i++;
                continue;
            }
            if (line[i] == '"')
            {
                var close = line.IndexOf('"', i + 1);
                if (close < 0)
                    return null;
                tokens.Add(line[(i + 1)..close]);
                i = close + 1;
                continue;
            }
            var end = line.IndexOf(' ', i);
            if (end < 0)
                end = line.Length;
            var word = line[i..end];
            if (word.Contains('"', StringComparison.Ordinal) || word.Contains('\\', StringComparison.Ordinal))
                return null;
            tokens.Add(word);
            i = end;
        }
        return line.Contains('\\', StringComparison.Ordinal) ? null : tokens;
    }
}
