using System.Globalization;
using Provisioner.Host.Iproute;

namespace Provisioner.Observability.Trace;

public sealed partial class PacketTracer
{
    /// <summary>How long a probe sent again may take to die: ARP gives up on a silent next hop after about 3 s.</summary>
    public static readonly TimeSpan DropWait = TimeSpan.FromSeconds(6);

    /// <summary>
    /// Where an unanswered probe died, in the kernel's words: the probe is sent again (same addresses and ports) with
    /// probe-drops.bt attached to the kfree_skb tracepoint, which reports its drop reason, the function and the namespace.
    /// </summary>
    private async Task<TraceHop> DropHopAsync(ProbeSpec probe, CancellationToken ct)
    {
        const string look = "sudo netlab trace drops";
        var (drops, problem) = await ProbeDrops.StartAsync(run, probe, ct).ConfigureAwait(false);
        if (drops is null)
            return new TraceHop("kernel drop reason", $"not available: {problem}", [], look);
        IReadOnlyList<string> lines;
        await using (drops.ConfigureAwait(false))
        {
            await SendAsync(probe, ct).ConfigureAwait(false);
            lines = await drops.WaitAsync(DropWait, ct).ConfigureAwait(false);
        }
        var (reasons, names) = (DropReasons.Load(), NamespaceNames.Load());
        var parsed = lines.Select(l => ProbeDrops.Parse(l, reasons, names)).OfType<ProbeDrop>().ToList();
        if (parsed.FirstOrDefault() is not { } first)
            return new TraceHop("kernel drop reason", "no drop of the probe seen (sent again): it may wait in a queue, or be answered too late", [], look);
        var where = NodeOf(first.Namespace);
        return new TraceHop($"{where} kernel drop", $"dropped: {first.Reason} in {first.Location.Split('+')[0]}{(first.Meaning is { } m ? $" ({m})" : "")}",
            [.. parsed.Select(d => $"{d.Reason} at {d.Location} in {d.Namespace}: " + (probe.Protocol == ProbeProtocol.Icmp ? $"{d.Source} -> {d.Destination}"
                : $"{d.Source}:{d.SourcePort.ToString(CultureInfo.InvariantCulture)} -> {d.Destination}:{d.DestinationPort.ToString(CultureInfo.InvariantCulture)}") +
                $", {d.Length.ToString(CultureInfo.InvariantCulture)} bytes")],
            look);
    }

    /// <summary>A lab namespace as the learner knows it: "node cp1", "pod web-1", "underlay".</summary>
    private string NodeOf(string netns)
    {
        if (plan.Lab.Nodes.FirstOrDefault(n => layout.NodeNamespace(n.Name) == netns) is { } node)
            return $"node {node.Name}";
        if (plan.Lab.Pods.FirstOrDefault(p => layout.PodNamespace(p.Name) == netns) is { } pod)
            return $"pod {pod.Name}";
        return netns == layout.UnderlayNamespace ? "underlay" : netns == layout.OutsideNamespace ? "outside" : netns;
    }

    /// <summary>No conntrack entry for the probe: the table's fill says whether it could have had one.</summary>
    private async Task<TraceHop?> TableHopAsync(string node, CancellationToken ct)
    {
        var netns = layout.NodeNamespace(node);
        var read = await run.TryRunAsync(NetnsExec.Ip, NetnsExec.Command(netns, ["cat", "/proc/sys/net/netfilter/nf_conntrack_count", "/proc/sys/net/netfilter/nf_conntrack_max"]),
            cancellationToken: ct).ConfigureAwait(false);
        if (read.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is not [var count, var max])
            return null;
        var full = long.TryParse(count, out var c) && long.TryParse(max, out var m) && c >= m;
        return new TraceHop($"node {node} conntrack", full ? $"no entry for the probe: the table is full ({count} of {max})" : $"no entry for the probe ({count} of {max} in the table)",
            [$"nf_conntrack_count {count}", $"nf_conntrack_max {max}"], $"sudo ip netns exec {netns} conntrack -S");
    }
}
