using System.Globalization;
using System.Text.RegularExpressions;
using Provisioner.ServiceRules.Nftables;

namespace Provisioner.Observability.Metrics;

/// <summary>One interface's counters, as <c>/proc/net/dev</c> (and <c>ip -s link</c>) show them.</summary>
public sealed record InterfaceCounters(
    string Name, long ReceiveBytes, long ReceivePackets, long ReceiveErrors, long ReceiveDrops,
    long TransmitBytes, long TransmitPackets, long TransmitErrors, long TransmitDrops);

/// <summary>A rule of a NETLAB- chain with its counters, as <c>iptables-save -c</c> prints it.</summary>
public sealed record CountedRule(string Table, string Chain, string? Comment, string? Target, string? DnatTo, long Packets, long Bytes)
{
    /// <summary>What a learner greps for in <c>iptables-save</c>: the chain and the rule's comment.</summary>
    public string Rule => Comment is null ? Chain : $"{Chain} \"{Comment}\"";
}

/// <summary>A map element of the nftables table with its counter (present when the map is declared with <c>counter</c>).</summary>
public sealed record CountedElement(string Map, string Key, string? Value, long Packets, long Bytes);

/// <summary>Parsers for the kernel's own counter listings. Pure, so they are tested on captured text.</summary>
public static partial class KernelCounters
{
    /// <summary><c>/proc/net/dev</c>: two header lines, then "name: rx bytes packets errs drop fifo frame compressed multicast tx bytes packets errs drop ...".</summary>
    public static IReadOnlyList<InterfaceCounters> ParseNetDev(string text) =>
    [
        .. text.Split('\n').Select(line => line.Split(':', 2)).Where(p => p.Length == 2 && !p[1].Contains('|', StringComparison.Ordinal))
            .Select(p => (Name: p[0].Trim(), Fields: p[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            .Where(p => p.Fields.Length >= 12)
            .Select(p => new InterfaceCounters(p.Name, L(p.Fields[0]), L(p.Fields[1]), L(p.Fields[2]), L(p.Fields[3]),
                L(p.Fields[8]), L(p.Fields[9]), L(p.Fields[10]), L(p.Fields[11]))),
    ];

    /// <summary>The TCP RetransSegs counter of <c>/proc/net/snmp</c> (a "Tcp:" header line, then a "Tcp:" value line).</summary>
    public static long? ParseTcpRetransmits(string text)
    {
        var lines = text.Split('\n').Where(l => l.StartsWith("Tcp:", StringComparison.Ordinal)).ToList();
        if (lines.Count < 2)
            return null;
        var names = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var values = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var at = Array.IndexOf(names, "RetransSegs");
        return at > 0 && at < values.Length ? L(values[at]) : null;
    }

    /// <summary>The rules of NETLAB- chains in <c>iptables-save -c</c> output, with their packet and byte counters.</summary>
    public static IReadOnlyList<CountedRule> ParseIptablesSave(string text)
    {
        var rules = new List<CountedRule>();
        var table = "";
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('*'))
                table = line[1..].Trim();
            else if (CountedLine().Match(line) is { Success: true } m && m.Groups["chain"].Value.StartsWith(Provisioner.ServiceRules.Naming.ChainNames.Prefix, StringComparison.Ordinal))
            {
                var rest = m.Groups["rest"].Value;
                var comment = Comment().Match(rest) is { Success: true } c ? (c.Groups[1].Success ? c.Groups[1].Value.Replace("\\\"", "\"", StringComparison.Ordinal) : c.Groups[2].Value) : null;
                rules.Add(new CountedRule(table, m.Groups["chain"].Value, comment,
                    Target().Match(rest) is { Success: true } t ? t.Groups[1].Value : null,
                    DnatTo().Match(rest) is { Success: true } d ? d.Groups[1].Value : null,
                    L(m.Groups["packets"].Value), L(m.Groups["bytes"].Value)));
            }
        }
        return rules;
    }

    /// <summary>
    /// Map elements carrying a counter in <c>nft list table ip netlab</c>: the listing is split into elements by the
    /// rules engine's own parser, then each element's "counter packets N bytes M" is taken out of its key.
    /// </summary>
    public static IReadOnlyList<CountedElement> ParseNftElements(string listing)
    {
        var state = NftListingParser.Parse(listing);
        var counted = new List<CountedElement>();
        foreach (var (map, elements) in state.Elements)
        {
            foreach (var element in elements)
            {
                if (NftCounter().Match(element.Key) is not { Success: true } m)
                    continue;
                var key = element.Key.Remove(m.Index, m.Length).Trim();
                counted.Add(new CountedElement(map, key, element.Value, L(m.Groups[1].Value), L(m.Groups[2].Value)));
            }
        }
        return counted;
    }

    /// <summary>
    /// OVS tunnel ports (type vxlan or geneve) from <c>ovs-vsctl --format=csv --data=bare --no-headings
    /// --columns=name,type,statistics list Interface</c>: the userspace datapath's tunnels have no kernel device.
    /// </summary>
    public static IReadOnlyList<InterfaceCounters> ParseOvsTunnels(string csv) =>
    [
        .. csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim().Split(',', 3)).Where(f => f.Length == 3 && f[1] is "vxlan" or "geneve")
            .Select(f => (Name: f[0], Stats: f[2].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(kv => kv.Split('=', 2)).Where(kv => kv.Length == 2)
                .ToDictionary(kv => kv[0], kv => L(kv[1]), StringComparer.Ordinal)))
            .Select(t => new InterfaceCounters(t.Name, S(t.Stats, "rx_bytes"), S(t.Stats, "rx_packets"), S(t.Stats, "rx_errors"), S(t.Stats, "rx_dropped"),
                S(t.Stats, "tx_bytes"), S(t.Stats, "tx_packets"), S(t.Stats, "tx_errors"), S(t.Stats, "tx_dropped"))),
    ];

    private static long S(Dictionary<string, long> stats, string key) => stats.GetValueOrDefault(key);

    private static long L(string text) => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;

    [GeneratedRegex(@"^\[(?<packets>\d+):(?<bytes>\d+)\] -A (?<chain>\S+) (?<rest>.*)$")]
    private static partial Regex CountedLine();

    [GeneratedRegex("""--comment (?:"((?:[^"\\]|\\.)*)"|(\S+))""")]
    private static partial Regex Comment();

    [GeneratedRegex(@"(?:^| )-j (\S+)")]
    private static partial Regex Target();

    [GeneratedRegex(@"--to-destination (\S+)")]
    private static partial Regex DnatTo();

    [GeneratedRegex(@"\s*counter packets (\d+) bytes (\d+)")]
    private static partial Regex NftCounter();
}
