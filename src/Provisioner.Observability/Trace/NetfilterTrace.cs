using System.Text.RegularExpressions;
using Provisioner.Host.Processes;
using Provisioner.Host.Iproute;

namespace Provisioner.Observability.Trace;

/// <summary>
/// Traces one probe through a node's netfilter: a temporary nftables table (<c>netlab-trace-ID</c>) whose chains at
/// the earliest priority set <c>meta nftrace</c> on packets matching only the probe, and a monitor printing every rule
/// the packet then meets: <c>nft monitor trace</c> (nftables) or <c>xtables-monitor --trace</c> (iptables-nft, in
/// iptables syntax). The table is deleted when the trace is disposed, whatever happened.
/// </summary>
public sealed partial class NetfilterTrace : IAsyncDisposable
{
    private readonly ProcessRunner _run;
    private readonly string _netns;
    private readonly string _table = "netlab-trace-" + Guid.NewGuid().ToString("N")[..8];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _lines = [];
    private Task<int>? _monitor;
    private bool _created;

    private NetfilterTrace(ProcessRunner run, string netns, bool iptables)
    {
        _run = run;
        _netns = netns;
        Iptables = iptables;
    }

    public bool Iptables { get; }

    public string Netns => _netns;

    /// <summary>Starts tracing packets of the probe in <paramref name="netns"/>; returns null when nftables is not available.</summary>
    public static async Task<NetfilterTrace?> StartAsync(ProcessRunner run, string netns, ProbeSpec probe, bool iptables, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(probe);
        var trace = new NetfilterTrace(run, netns, iptables);
        var match = probe.Protocol == ProbeProtocol.Icmp
            ? $"ip saddr {probe.FromAddress} icmp type echo-request"
            : $"ip saddr {probe.FromAddress} {probe.Protocol4} sport {probe.SourcePort}";
        var script = $$"""
            table ip {{trace._table}} {
              comment "netlab trace packet: traces only {{probe.Describe}}; deleted when the trace ends"
              chain prerouting { type filter hook prerouting priority -400; policy accept; {{match}} meta nftrace set 1; }
              chain output { type filter hook output priority -400; policy accept; {{match}} meta nftrace set 1; }
            }
            """;
        var created = await run.TryRunAsync(NetnsExec.Ip, NetnsExec.Arguments(netns, "nft", "-f", "-"), script, cancellationToken: ct).ConfigureAwait(false);
        if (!created.Succeeded)
            return null;
        trace._created = true;
        string[] monitor = iptables ? ["xtables-monitor", "--trace"] : ["nft", "monitor", "trace"];
        trace._monitor = run.StreamAsync(NetnsExec.Ip, NetnsExec.Command(netns, monitor), trace.OnLine, trace._stop.Token);
        await Task.Delay(300, ct).ConfigureAwait(false); // the monitor subscribes to netlink trace events as it starts
        return trace;
    }

    private void OnLine(string line)
    {
        lock (_lines)
            _lines.Add(line);
    }

    /// <summary>The rules the probe's first packet met, each with its verdict, without the trace table's own lines.</summary>
    public IReadOnlyList<string> FirstPacketRules()
    {
        List<string> lines;
        lock (_lines)
            lines = [.. _lines];
        return Iptables ? FirstPacketIptables(lines, _table) : FirstPacketNft(lines, _table);
    }

    internal static IReadOnlyList<string> FirstPacketNft(IReadOnlyList<string> lines, string table)
    {
        var id = lines.Select(l => NftLine().Match(l)).FirstOrDefault(m => m.Success && m.Groups["table"].Value != table)?.Groups["id"].Value;
        return id is null ? [] :
        [
            .. lines.Select(l => NftLine().Match(l)).Where(m => m.Success && m.Groups["id"].Value == id && m.Groups["table"].Value != table && m.Groups["kind"].Value != "packet:")
                .Select(m => $"{m.Groups["table"].Value} {m.Groups["chain"].Value}: {m.Groups["kind"].Value} {m.Groups["rest"].Value.Trim()}".Replace("  ", " ", StringComparison.Ordinal)),
        ];
    }

    /// <summary>
    /// The first packet's events. iptables-nft's trace id is not kept across the DNAT and the route (the kernel derives
    /// it from the skb, which routing can rehash), so a change of id alone does not start another packet; a change of id
    /// at a PREROUTING or OUTPUT hook does (a retransmit: after a drop its connection is new, so it meets the NAT rules
    /// again and may get another endpoint).
    /// </summary>
    internal static IReadOnlyList<string> FirstPacketIptables(IReadOnlyList<string> lines, string table)
    {
        var first = new List<string>();
        string? id = null;
        foreach (var m in lines.Select(l => XtLine().Match(l)).Where(m => m.Success && !m.Groups["where"].Value.StartsWith(table + ":", StringComparison.Ordinal)))
        {
            var where = m.Groups["where"].Value;
            var entersAgain = where.Contains(":PREROUTING:", StringComparison.Ordinal) || where.Contains(":OUTPUT:", StringComparison.Ordinal);
            if (id is not null && m.Groups["id"].Value != id && entersAgain)
                break;
            id = m.Groups["id"].Value;
            first.Add(m.Groups["rule"].Value.Trim() is { Length: > 0 } rule ? $"{where}  {rule}" : where);
        }
        return first;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_monitor is not null)
        {
            try
            {
                await _monitor.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or TimeoutException)
            {
            }
        }
        if (_created)
            await _run.TryRunAsync(NetnsExec.Ip, NetnsExec.Arguments(_netns, "nft", "delete", "table", "ip", _table)).ConfigureAwait(false);
        _stop.Dispose();
    }

    [GeneratedRegex(@"^trace id (?<id>\w+) ip (?<table>\S+) (?<chain>\S+) (?<kind>packet:|rule|policy|verdict)(?<rest>.*)$")]
    private static partial Regex NftLine();

    [GeneratedRegex(@"^\s*TRACE: \d+ (?<id>\w+) (?<where>\S+)(?<rule>.*)$")]
    private static partial Regex XtLine();
}
