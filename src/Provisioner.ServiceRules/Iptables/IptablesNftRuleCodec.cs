using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
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
/// <para>
/// A first sync encodes ~150k rules in a cold process, so a rule is read without allocating: its words are ranges of
/// the line on the stack, the parse records each match as a small value (<see cref="Item"/>), and the encoding writes
/// the expressions from those straight into the batch's scratch message.
/// </para>
/// </summary>
internal static class IptablesNftRuleCodec
{
    private const uint NetworkHeader = 1, TransportHeader = 2, MetaMark = 3, MetaL4Proto = 16;
    private const uint Equal = 0, NotEqual = 1;
    private const int MaxWords = 64, MaxMatches = 16;

    /// <summary>nft's comment userdata (NFTNL_UDATA_RULE_COMMENT): type 0, length, the text and its NUL; nft keeps
    /// comments under 128 bytes, and so does the codec (a longer one stays an xt match).</summary>
    private const int MaxUserComment = 127;

    /// <summary>Parses and encodes "-A CHAIN ..." (appended) or "-I CHAIN 1 ..." (inserted at the head).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryAdd(NfTablesRuleBatch batch, string table, string line, bool commentAsUserData = false)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(line);
        Span<Range> ranges = stackalloc Range[MaxWords];
        if (!Words.TryRead(line, ranges, out var words) || words.Count < 2)
            return false;
        var append = words.Is(0, "-A");
        var at = 2;
        if (!append)
        {
            if (!words.Is(0, "-I") || !words.Is(2, "1"))
                return false;
            at = 3;
        }
        Span<Item> matches = stackalloc Item[MaxMatches];
        if (!Parse(words, at, matches, commentAsUserData, out var rule))
            return false;
        Encode(batch.AddRule(table, words[1], append), words, rule, matches[..rule.Matches]);
        return true;
    }

    private enum Kind : byte
    {
        Comment, DestinationPort, ProtocolMatch, AddressType, ConntrackNew, Statistic, Recent, NotMark,
        Verdict, Jump, Mark, Masquerade, Dnat, Reject,
    }

    /// <summary>A match or target as parsed: its kind, the word it reads text from (a comment, a name), two numbers.</summary>
    private readonly record struct Item(Kind Kind, int Word = 0, uint A = 0, uint B = 0);

    /// <summary>A prefix's bytes (network order, the first <c>Length</c> of them kept), or none (Length 0).</summary>
    private readonly record struct Address(bool Negate, uint Bytes, int Length);

    private struct Rule
    {
        public byte Protocol;
        public Address Source, Destination;
        public int Matches;
        public int UserComment; // the match kept as userdata, plus one (0: none)
        public Item Target;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Parse(in Words t, int i, Span<Item> matches, bool commentAsUserData, out Rule rule)
    {
        rule = default;
        var targeted = false;
        while (i < t.Count)
        {
            var negate = t.Is(i, "!");
            if (negate)
                i++;
            if (i + 1 >= t.Count)
                return false;
            var option = t[i];
            var value = t[i + 1];
            var valueAt = i + 1;
            i += 2;
            if (option is "-s" or "-d")
            {
                var source = option is "-s";
                if (!Prefix(value, out var bytes, out var length) || (source ? rule.Source : rule.Destination).Length != 0)
                    return false;
                if (source)
                    rule.Source = new Address(negate, bytes, length);
                else
                    rule.Destination = new Address(negate, bytes, length);
            }
            else if (option is "-p" && !negate && rule.Protocol == 0)
            {
                rule.Protocol = value is "tcp" ? (byte)6 : value is "udp" ? (byte)17 : (byte)0;
                if (rule.Protocol == 0)
                    return false;
            }
            else if (option is "-m" && !negate)
            {
                if (rule.Matches == matches.Length || !Match(t, value, ref i, rule.Protocol, out var match))
                    return false;
                matches[rule.Matches++] = match;
            }
            else if (option is "-j" && !negate)
            {
                if (!Target(t, valueAt, ref i, out rule.Target) || i != t.Count)
                    return false;
                targeted = true;
            }
            else
                return false;
        }
        if (!targeted)
            return false;
        if (commentAsUserData)
        {
            // the first comment short enough for userdata; kept there only when no match follows it (iptables-nft
            // prints a userdata comment after every match, so one in the middle stays an xt match in its place)
            for (var m = 0; m < rule.Matches; m++)
            {
                if (matches[m].Kind == Kind.Comment && Encoding.UTF8.GetByteCount(t[matches[m].Word]) <= MaxUserComment)
                {
                    rule.UserComment = m == rule.Matches - 1 ? m + 1 : 0;
                    break;
                }
            }
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Match(in Words t, ReadOnlySpan<char> name, ref int i, byte protocol, out Item match)
    {
        match = default;
        if (name is "comment")
        {
            if (!t.Is(i, "--comment") || i + 1 >= t.Count || Encoding.UTF8.GetByteCount(t[i + 1]) >= 256)
                return false;
            match = new Item(Kind.Comment, i + 1);
            i += 2;
        }
        else if ((name is "tcp" && protocol == 6) || (name is "udp" && protocol == 17))
        {
            if (t.Is(i, "--dport") && i + 1 < t.Count)
            {
                if (!ushort.TryParse(t[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var port))
                    return false;
                match = new Item(Kind.DestinationPort, A: port);
                i += 2;
            }
            else
                match = new Item(Kind.ProtocolMatch, A: protocol);
        }
        else if (name is "addrtype")
        {
            var source = t.Is(i, "--src-type");
            if (!(source || t.Is(i, "--dst-type")) || !t.Is(i + 1, "LOCAL"))
                return false;
            match = new Item(Kind.AddressType, A: source ? 0u : 2u); // the byte of xt_addrtype_info_v1 that says LOCAL
            i += 2;
        }
        else if (name is "conntrack")
        {
            if (!t.Is(i, "--ctstate") || !t.Is(i + 1, "NEW"))
                return false;
            match = new Item(Kind.ConntrackNew);
            i += 2;
        }
        else if (name is "statistic")
        {
            if (!t.Is(i, "--mode") || !t.Is(i + 1, "random") || !t.Is(i + 2, "--probability") || i + 3 >= t.Count
                || !double.TryParse(t[i + 3], NumberStyles.Float, CultureInfo.InvariantCulture, out var p) || p is not (> 0 and <= 1))
                return false;
            // libxt_statistic: u.random.probability = lround(2^31 p)
            match = new Item(Kind.Statistic, A: (uint)Math.Round(0x80000000 * p, MidpointRounding.AwayFromZero));
            i += 4;
        }
        else if (name is "recent")
            return Recent(t, ref i, out match);
        else if (name is "mark")
        {
            if (!t.Is(i, "!") || !t.Is(i + 1, "--mark") || i + 2 >= t.Count || !MarkPair(t[i + 2], out var value, out var mask))
                return false;
            match = new Item(Kind.NotMark, A: value, B: mask);
            i += 3;
        }
        else
            return false;
        return true;
    }

    /// <summary>"--rcheck --seconds S --reap" or "--set", then "--name N --mask 255.255.255.255 --rsource".</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Recent(in Words t, ref int i, out Item match)
    {
        match = default;
        uint seconds = 0, flags;
        if (t.Is(i, "--set"))
        {
            flags = 2; // XT_RECENT_SET
            i++;
        }
        else if (t.Is(i, "--rcheck") && t.Is(i + 1, "--seconds") && t.Is(i + 3, "--reap")
            && uint.TryParse(t[i + 2], NumberStyles.None, CultureInfo.InvariantCulture, out seconds))
        {
            flags = 0x21; // XT_RECENT_CHECK | XT_RECENT_REAP
            i += 4;
        }
        else
            return false;
        if (!t.Is(i, "--name") || i + 1 >= t.Count || !t.Is(i + 2, "--mask") || !t.Is(i + 3, "255.255.255.255") || !t.Is(i + 4, "--rsource")
            || Encoding.UTF8.GetByteCount(t[i + 1]) >= 200)
            return false;
        match = new Item(Kind.Recent, i + 1, seconds, flags);
        i += 5;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Target(in Words t, int at, ref int i, out Item target)
    {
        target = default;
        var name = t[at];
        var rest = t.Count - i;
        if (rest == 0 && name is "RETURN" or "ACCEPT" or "DROP")
            target = new Item(Kind.Verdict, A: unchecked((uint)(name is "RETURN" ? -5 : name is "ACCEPT" ? 1 : 0)));
        else if (name is "MARK")
        {
            if (rest != 2 || !t.Is(i, "--set-xmark") || !MarkPair(t[i + 1], out var value, out var mask))
                return false;
            target = new Item(Kind.Mark, A: value, B: mask);
            i += 2;
        }
        else if (name is "MASQUERADE")
        {
            if (!(rest == 0 || (rest == 1 && t.Is(i, "--random-fully"))))
                return false;
            target = new Item(Kind.Masquerade, A: (uint)rest);
            i += rest;
        }
        else if (name is "DNAT")
        {
            if (rest != 2 || !t.Is(i, "--to-destination") || !HostPort(t[i + 1], out var address, out var port))
                return false;
            target = new Item(Kind.Dnat, A: address, B: port);
            i += 2;
        }
        else if (name is "REJECT")
        {
            if (rest != 2 || !t.Is(i, "--reject-with") || !t.Is(i + 1, "icmp-port-unreachable"))
                return false;
            target = new Item(Kind.Reject);
            i += 2;
        }
        // a jump to a user chain: iptables-nft writes an immediate NFT_JUMP verdict
        else if (rest == 0 && name.StartsWith("NETLAB-", StringComparison.Ordinal))
            target = new Item(Kind.Jump, at);
        else
            return false;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Encode(NfTablesRuleBatch.RuleWriter w, in Words t, in Rule rule, ReadOnlySpan<Item> matches)
    {
        if (rule.Protocol != 0)
            w.Meta(MetaL4Proto).Compare(Equal, [rule.Protocol]);
        Span<byte> bytes = stackalloc byte[4];
        foreach (var (address, offset) in (ReadOnlySpan<(Address, uint)>)[(rule.Source, 12), (rule.Destination, 16)])
        {
            if (address.Length == 0)
                continue;
            BinaryPrimitives.WriteUInt32BigEndian(bytes, address.Bytes);
            w.Payload(NetworkHeader, offset, (uint)address.Length).Compare(address.Negate ? NotEqual : Equal, bytes[..address.Length]);
        }
        for (var m = 0; m < matches.Length; m++)
        {
            if (m + 1 != rule.UserComment)
                Write(w, t, matches[m]);
        }
        w.Counter();
        Write(w, t, rule.Target);
        if (rule.UserComment == 0)
        {
            w.End(rule.Protocol, 0);
            return;
        }
        Span<byte> userData = stackalloc byte[MaxUserComment + 3];
        var length = Encoding.UTF8.GetBytes(t[matches[rule.UserComment - 1].Word], userData[2..]);
        (userData[0], userData[1], userData[2 + length]) = (0, (byte)(length + 1), 0);
        w.End(rule.Protocol, 0, userData[..(length + 3)]);
    }

    /// <summary>One match or target's expressions; each xt structure laid out as the tool's extension fills it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Write(NfTablesRuleBatch.RuleWriter w, in Words t, in Item item)
    {
        Span<byte> info = stackalloc byte[256];
        info.Clear();
        switch (item.Kind)
        {
            case Kind.Comment:
                Encoding.UTF8.GetBytes(t[item.Word], info);
                w.Compat(NfTablesRuleBatch.CompatMatch, "comment\0"u8, 0, info);
                break;
            case Kind.DestinationPort:
                BinaryPrimitives.WriteUInt16BigEndian(info, (ushort)item.A);
                w.Payload(TransportHeader, 2, 2).Compare(Equal, info[..2]);
                break;
            case Kind.ProtocolMatch:
                // xt_tcp / xt_udp: spts {0, 65535}, dpts {0, 65535}, XT_ALIGNed
                BinaryPrimitives.WriteUInt16LittleEndian(info[2..], 0xffff);
                BinaryPrimitives.WriteUInt16LittleEndian(info[6..], 0xffff);
                w.Compat(NfTablesRuleBatch.CompatMatch, item.A == 6 ? "tcp\0"u8 : "udp\0"u8, 0, info[..16]);
                break;
            case Kind.AddressType:
                info[(int)item.A] = 4; // xt_addrtype_info_v1: source, dest (u16), flags; XT_ADDRTYPE_LOCAL = 4
                w.Compat(NfTablesRuleBatch.CompatMatch, "addrtype\0"u8, 1, info[..8]);
                break;
            case Kind.ConntrackNew:
                (info[146], info[150]) = (1, 8); // xt_conntrack_mtinfo3: match_flags XT_CONNTRACK_STATE, state_mask NEW
                w.Compat(NfTablesRuleBatch.CompatMatch, "conntrack\0"u8, 3, info[..168]);
                break;
            case Kind.Statistic:
                // xt_statistic_info: mode random, the probability; libxt_statistic also sets u.nth.count = every - packet,
                // which aliases it
                BinaryPrimitives.WriteUInt32LittleEndian(info[4..], item.A);
                BinaryPrimitives.WriteUInt32LittleEndian(info[12..], item.A);
                w.Compat(NfTablesRuleBatch.CompatMatch, "statistic\0"u8, 0, info[..24]);
                break;
            case Kind.Recent:
                {
                    Span<byte> recent = stackalloc byte[232]; // xt_recent_mtinfo_v1
                    recent.Clear();
                    BinaryPrimitives.WriteUInt32LittleEndian(recent, item.A);
                    recent[8] = (byte)item.B;
                    Encoding.UTF8.GetBytes(t[item.Word], recent[10..]);
                    recent.Slice(212, 4).Fill(0xff);
                    w.Compat(NfTablesRuleBatch.CompatMatch, "recent\0"u8, 1, recent);
                    break;
                }
            case Kind.NotMark:
                BinaryPrimitives.WriteUInt32LittleEndian(info, item.B);
                BinaryPrimitives.WriteUInt32LittleEndian(info[8..], item.A);
                w.Meta(MetaMark).Bitwise(info[..4], info[4..8]).Compare(NotEqual, info[8..12]);
                break;
            case Kind.Verdict:
                w.Verdict(unchecked((int)item.A), default);
                break;
            case Kind.Jump:
                w.Verdict(-3, t[item.Word]);
                break;
            case Kind.Mark:
                BinaryPrimitives.WriteUInt32LittleEndian(info, item.A); // xt_mark_tginfo2
                BinaryPrimitives.WriteUInt32LittleEndian(info[4..], item.B);
                w.Compat(NfTablesRuleBatch.CompatTarget, "MARK\0"u8, 2, info[..8]);
                break;
            case Kind.Masquerade:
                // nf_nat_ipv4_multi_range_compat: rangesize 1, flags NF_NAT_RANGE_PROTO_RANDOM_FULLY
                (info[0], info[4]) = (1, (byte)(item.A == 1 ? 0x10 : 0));
                w.Compat(NfTablesRuleBatch.CompatTarget, "MASQUERADE\0"u8, 0, info[..24]);
                break;
            case Kind.Dnat:
                // nf_nat_range2: flags MAP_IPS | PROTO_SPECIFIED, min/max address and port
                info[0] = 3;
                BinaryPrimitives.WriteUInt32BigEndian(info[4..], item.A);
                BinaryPrimitives.WriteUInt32BigEndian(info[20..], item.A);
                BinaryPrimitives.WriteUInt16BigEndian(info[36..], (ushort)item.B);
                BinaryPrimitives.WriteUInt16BigEndian(info[38..], (ushort)item.B);
                w.Compat(NfTablesRuleBatch.CompatTarget, "DNAT\0"u8, 2, info[..48]);
                break;
            case Kind.Reject:
                info[0] = 3; // ipt_reject_info: IPT_ICMP_PORT_UNREACHABLE
                w.Compat(NfTablesRuleBatch.CompatTarget, "REJECT\0"u8, 0, info[..8]);
                break;
        }
    }

    /// <summary>A dotted-quad IPv4 prefix whose length is a whole number of bytes (iptables-nft loads only those); any
    /// other: false.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Prefix(ReadOnlySpan<char> cidr, out uint bytes, out int length)
    {
        length = 0;
        var slash = cidr.IndexOf('/');
        if (slash < 0 || !Ipv4(cidr[..slash], out bytes)
            || !int.TryParse(cidr[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var bits) || bits is <= 0 or > 32 || bits % 8 != 0)
        {
            bytes = 0;
            return false;
        }
        length = bits / 8;
        return true;
    }

    /// <summary>Four decimal bytes separated by dots (as iptables-save prints an address), big endian.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Ipv4(ReadOnlySpan<char> text, out uint address)
    {
        address = 0;
        for (var part = 0; part < 4; part++)
        {
            var dot = part < 3 ? text.IndexOf('.') : text.Length;
            if (dot <= 0 || dot > 3 || !byte.TryParse(text[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                return false;
            address = (address << 8) | value;
            text = part < 3 ? text[(dot + 1)..] : [];
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool HostPort(ReadOnlySpan<char> text, out uint address, out uint port)
    {
        port = 0;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !Ipv4(text[..colon], out address) || !ushort.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p == 0)
        {
            address = 0;
            return false;
        }
        port = p;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool MarkPair(ReadOnlySpan<char> text, out uint value, out uint mask)
    {
        (value, mask) = (0, 0);
        var slash = text.IndexOf('/');
        return slash > 0 && Hex(text[..slash], out value) && Hex(text[(slash + 1)..], out mask);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Hex(ReadOnlySpan<char> text, out uint value)
    {
        value = 0;
        return text.StartsWith("0x", StringComparison.Ordinal) && uint.TryParse(text[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>A rule's words as ranges of its line: split on spaces, a double-quoted word (a comment) one word.</summary>
    private readonly ref struct Words
    {
        private readonly ReadOnlySpan<char> _line;
        private readonly ReadOnlySpan<Range> _ranges;

        private Words(ReadOnlySpan<char> line, ReadOnlySpan<Range> ranges)
        {
            _line = line;
            _ranges = ranges;
        }

        public int Count => _ranges.Length;

        public ReadOnlySpan<char> this[int i]
        {
            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            get => _line[_ranges[i]];
        }

        /// <summary>Word <paramref name="i"/> is <paramref name="text"/> (false past the last word).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public bool Is(int i, ReadOnlySpan<char> text) => i < _ranges.Length && _line[_ranges[i]].SequenceEqual(text);

        /// <summary>False for a backslash anywhere, a quote inside a word, an unterminated quote or too many words.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static bool TryRead(string line, Span<Range> ranges, out Words words)
        {
            words = default;
            if (line.Contains('\\', StringComparison.Ordinal))
                return false;
            var count = 0;
            for (var i = 0; i < line.Length;)
            {
                if (line[i] == ' ')
                {
                    i++;
                    continue;
                }
                if (count == ranges.Length)
                    return false;
                if (line[i] == '"')
                {
                    var close = line.IndexOf('"', i + 1);
                    if (close < 0)
                        return false;
                    ranges[count++] = new Range(i + 1, close);
                    i = close + 1;
                    continue;
                }
                var end = line.IndexOf(' ', i);
                if (end < 0)
                    end = line.Length;
                if (line.AsSpan(i, end - i).Contains('"'))
                    return false;
                ranges[count++] = new Range(i, end);
                i = end;
            }
            words = new Words(line, ranges[..count]);
            return true;
        }
    }
}
