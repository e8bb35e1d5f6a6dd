using Prometheus;

namespace Provisioner.Observability.Metrics;

/// <summary>
/// The metrics <c>netlab metrics</c> serves, on a registry of their own, updated from one <see cref="LabSample"/> per
/// scrape. <see cref="Names"/> lists every metric name (the Grafana dashboard's test checks its queries against it).
/// </summary>
public sealed class LabMetrics
{
    private static readonly string[] NamespaceLabels = ["namespace", "role", "owner"];
    private static readonly string[] InterfaceLabels = ["namespace", "role", "owner", "interface"];

    private readonly CounterFamily _servicePackets, _serviceBytes, _endpointHits, _retransmits, _drops;
    private readonly GaugeFamily _countersAvailable, _conntrack;
    private readonly (CounterFamily Family, Func<InterfaceCounters, long> Read)[] _interfaces;
    private readonly Gauge _duration, _problems;

    public LabMetrics(CollectorRegistry registry)
    {
        var f = Prometheus.Metrics.WithCustomRegistry(registry);
        _servicePackets = new(f.CreateCounter("netlab_service_rule_packets_total",
            "Packets matched by a service's dispatch rule (iptables: the NETLAB-SERVICES/NETLAB-NODEPORTS rule; nftables: the " +
            "service-ips/service-nodeports element). nat rules see the first packet of each connection: this counts new connections.",
            ["node", "service", "frontend", "rule"]));
        _serviceBytes = new(f.CreateCounter("netlab_service_rule_bytes_total",
            "Bytes matched by a service's dispatch rule (the first packet of each connection).", ["node", "service", "frontend", "rule"]));
        _endpointHits = new(f.CreateCounter("netlab_endpoint_hits_total",
            "New connections the rules sent to an endpoint (iptables: the NETLAB-SEP chain's DNAT rule; nftables: the service-endpoints element).",
            ["node", "service", "endpoint", "pod", "rule"]));
        _countersAvailable = new(f.CreateGauge("netlab_rule_counters_available",
            "1 when the node's service rules carry counters netlab can read (iptables always; nftables when the maps are declared with counter).",
            ["node", "backend"]));
        _conntrack = new(f.CreateGauge("netlab_conntrack_entries",
            "Connections in the namespace's conntrack table (nf_conntrack_count); absent where nothing loaded conntrack.", NamespaceLabels));
        _retransmits = new(f.CreateCounter("netlab_tcp_retransmitted_segments_total",
            "TCP segments retransmitted by sockets in the namespace (RetransSegs of /proc/net/snmp; the tcp_retransmit_skb tracepoint's events).",
            NamespaceLabels));
        _drops = new(f.CreateCounter("netlab_kernel_drops_total",
            "Packets the kernel dropped, by drop reason and namespace (tracepoint skb:kfree_skb via bpftrace; only with --trace-drops).",
            ["namespace", "reason"]));
        _interfaces =
        [
            (Interface(f, "receive_bytes", "Bytes received"), i => i.ReceiveBytes),
            (Interface(f, "receive_packets", "Packets received"), i => i.ReceivePackets),
            (Interface(f, "receive_errors", "Receive errors"), i => i.ReceiveErrors),
            (Interface(f, "receive_drops", "Received packets dropped"), i => i.ReceiveDrops),
            (Interface(f, "transmit_bytes", "Bytes sent"), i => i.TransmitBytes),
            (Interface(f, "transmit_packets", "Packets sent"), i => i.TransmitPackets),
            (Interface(f, "transmit_errors", "Transmit errors"), i => i.TransmitErrors),
            (Interface(f, "transmit_drops", "Packets dropped on transmit"), i => i.TransmitDrops),
        ];
        _duration = f.CreateGauge("netlab_collect_duration_seconds", "How long the last scrape took to read the lab's counters.");
        _problems = f.CreateGauge("netlab_collect_problems", "Sources the last scrape could not read (netlab metrics logs each one).");
    }

    /// <summary>Every metric name served (counters with their _total suffix).</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "netlab_service_rule_packets_total", "netlab_service_rule_bytes_total", "netlab_endpoint_hits_total", "netlab_rule_counters_available",
        "netlab_conntrack_entries", "netlab_tcp_retransmitted_segments_total", "netlab_kernel_drops_total",
        .. new[] { "receive", "transmit" }.SelectMany(d => new[] { "bytes", "packets", "errors", "drops" }.Select(k => $"netlab_interface_{d}_{k}_total")),
        "netlab_collect_duration_seconds", "netlab_collect_problems",
    ];

    private static CounterFamily Interface(MetricFactory f, string what, string help) =>
        new(f.CreateCounter($"netlab_interface_{what}_total", $"{help} by an interface of a lab namespace (/proc/net/dev inside it; OVS tunnel ports vx-PEER from ovs-vsctl).", InterfaceLabels));

    public void Update(LabSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var complete = sample.Problems.Count == 0;
        foreach (var node in sample.Rules)
        {
            _countersAvailable.Set(node.Counted ? 1 : 0, node.Node, node.Backend.ToString().ToLowerInvariant());
            foreach (var s in node.Services)
            {
                _servicePackets.Set(s.Packets, s.Node, s.Service, s.Frontend, s.Rule);
                _serviceBytes.Set(s.Bytes, s.Node, s.Service, s.Frontend, s.Rule);
            }
            foreach (var e in node.Endpoints)
                _endpointHits.Set(e.Packets, e.Node, e.Service, e.Endpoint, sample.Targets.PodAt(e.Endpoint.Split(':')[0]), e.Rule);
            var netns = sample.Targets.Nodes.FirstOrDefault(n => n.Name == node.Node)?.Netns ?? node.Node;
            foreach (var tunnel in node.OvsTunnels)
                SetInterface([netns, "node", node.Node], tunnel);
        }
        foreach (var ns in sample.Namespaces)
        {
            string[] labels = [ns.Namespace.Netns, ns.Namespace.Role.ToString().ToLowerInvariant(), ns.Namespace.Owner];
            if (ns.ConntrackEntries is { } entries)
                _conntrack.Set(entries, labels);
            if (ns.TcpRetransmits is { } retransmits)
                _retransmits.Set(retransmits, labels);
            foreach (var link in ns.Interfaces)
                SetInterface(labels, link);
        }
        foreach (var family in new[] { _servicePackets, _serviceBytes, _endpointHits, _retransmits }.Concat(_interfaces.Select(i => i.Family)))
            family.EndUpdate(complete);
        _countersAvailable.EndUpdate(complete);
        _conntrack.EndUpdate(complete);
        _duration.Set(sample.Duration.TotalSeconds);
        _problems.Set(sample.Problems.Count);
    }

    private void SetInterface(string[] namespaceLabels, InterfaceCounters link)
    {
        foreach (var (family, read) in _interfaces)
            family.Set(read(link), [.. namespaceLabels, link.Name]);
    }

    /// <summary>Kernel drops by reason, from the optional bpftrace monitor (absolute counts since it started).</summary>
    public void UpdateDrops(IReadOnlyDictionary<(string Namespace, string Reason), long> drops)
    {
        ArgumentNullException.ThrowIfNull(drops);
        foreach (var ((ns, reason), count) in drops)
            _drops.Set(count, ns, reason);
        _drops.EndUpdate(complete: false); // the monitor's maps only grow
    }
}
