using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Provisioner.Core.Planning;
using Provisioner.Host.Namespaces;
using Provisioner.Host.Processes;
using Provisioner.Netns;
using Provisioner.Host.Iproute;

namespace Provisioner.Observability.Trace;

/// <summary>One hop of a traced probe: where, what decided it (the lines the kernel gave), and the command to look again.</summary>
public sealed record TraceHop(string Where, string What, IReadOnlyList<string> Lines, string LookWith);

/// <summary>The probe, the hops it took, and how it ended.</summary>
public sealed record PacketTrace(ProbeSpec Probe, IReadOnlyList<TraceHop> Hops, bool Delivered, string Outcome);

/// <summary>
/// <c>netlab trace packet</c>: sends one real probe and reads back what every layer did with it: the source's route,
/// the netfilter rules of each node it crossed (only the probe is traced), the DNAT choice from conntrack, the node's
/// route and, on linux-vxlan, the FDB entry to the remote node, and whether it was answered.
/// </summary>
public sealed partial class PacketTracer(LabPlan plan, LabLayout layout, ProcessRunner run)
{
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    public async Task<PacketTrace> TraceAsync(ProbeSpec probe, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(probe);
        var iptables = plan.Lab.Network.ServiceRules == Core.Model.RuleBackend.Iptables;
        var hops = new List<TraceHop>();
        if (probe.Lookup is { } lookup)
            hops.Add(new TraceHop($"{probe.FromName} DNS lookup", lookup, [], $"sudo netlab exec {probe.FromName} -- cat /etc/resolv.conf"));
        hops.Add(await RouteHopAsync(probe.FromNetns, probe.FromName, probe.ToAddress, ct).ConfigureAwait(false));
        var traces = new List<NetfilterTrace>();
        string outcome;
        bool delivered;
        try
        {
            foreach (var node in plan.Lab.Nodes)
            {
                if (await NetfilterTrace.StartAsync(run, layout.NodeNamespace(node.Name), probe, iptables, ct).ConfigureAwait(false) is { } trace)
                    traces.Add(trace);
            }
            (delivered, outcome) = await SendAsync(probe, ct).ConfigureAwait(false);
            await Task.Delay(300, ct).ConfigureAwait(false); // the monitors print what the kernel already reported
        }
        finally
        {
            foreach (var trace in traces)
                await trace.DisposeAsync().ConfigureAwait(false);
        }

        var firstNode = probe.FromNode ?? plan.Lab.Nodes.FirstOrDefault(n => plan.Addresses.Node(n.Name).UnderlayAddress.Equals(probe.ToAddress))?.Name;
        IPAddress? endpoint = null;
        if (firstNode is not null)
        {
            var (hop, chosen) = await ConntrackHopAsync(firstNode, probe, ct).ConfigureAwait(false);
            var afterNat = hop?.Lines[0] is { } entry ? ReplyTuple().Match(entry) : null;
            endpoint = chosen;
            AddNetfilterHop(hops, traces, firstNode, iptables);
            if (hop is not null)
                hops.Add(hop);
            hops.Add(await RouteHopAsync(layout.NodeNamespace(firstNode), $"node {firstNode}", endpoint ?? probe.ToAddress, ct).ConfigureAwait(false));
            if (plan.Lab.Network.Fabric == Core.Model.FabricKind.LinuxVxlan && await FdbHopAsync(firstNode, endpoint ?? probe.ToAddress, ct).ConfigureAwait(false) is { } fdb)
                hops.Add(fdb);
            if (plan.Lab.Network.Fabric == Core.Model.FabricKind.OvsVxlan)
                hops.Add(await OvsHopAsync(firstNode, probe, afterNat is { Success: true } m ? m : null, ct).ConfigureAwait(false));
        }
        if (traces.Count == 0)
            hops.Add(new TraceHop("netfilter", "not available: no node accepted a temporary nftables trace table (is nft installed, is nf_tables loaded?)", [], "nft list ruleset"));
        foreach (var node in plan.Lab.Nodes.Where(n => n.Name != firstNode))
            AddNetfilterHop(hops, traces, node.Name, iptables);
        if (!delivered)
            hops.Add(await DropHopAsync(probe, ct).ConfigureAwait(false));
        hops.Add(new TraceHop(probe.ToName, delivered ? "delivered" : "not delivered", [outcome],
            delivered ? $"sudo netlab exec {probe.FromName} -- ..." : "sudo netlab trace drops   (every drop with its reason, while you send again)"));
        return new PacketTrace(probe, hops, delivered, outcome);
    }

    private void AddNetfilterHop(List<TraceHop> hops, List<NetfilterTrace> traces, string node, bool iptables)
    {
        var trace = traces.FirstOrDefault(t => t.Netns == layout.NodeNamespace(node));
        var rules = trace?.FirstPacketRules() ?? [];
        if (rules.Count == 0)
            return; // the probe never crossed this node's netfilter
        var verdict = rules[^1];
        hops.Add(new TraceHop($"node {node} netfilter", $"{rules.Count} rule(s) met, last: {Verdict(verdict)}", rules,
            iptables ? $"sudo ip netns exec {layout.NodeNamespace(node)} iptables-save -c | grep NETLAB"
                     : $"sudo ip netns exec {layout.NodeNamespace(node)} nft list table ip {(verdict.Contains(ServiceRules.Policy.PolicyChainNames.NftTable, StringComparison.Ordinal) ? ServiceRules.Policy.PolicyChainNames.NftTable : "netlab")}"));
    }

    /// <summary>The last rule's verdict; a reject (the kernel reports it as a drop) says so, with the rule's comment (a policy's names it).</summary>
    private static string Verdict(string line)
    {
        var verdict = VerdictText().Match(line) is { Success: true } m ? (m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value) : line;
        if (!line.Contains("-j REJECT", StringComparison.Ordinal) && !line.Contains("reject with", StringComparison.Ordinal))
            return verdict;
        return RuleComment().Match(line) is { Success: true } c ? $"REJECT ({c.Groups[1].Value})" : "REJECT";
    }

    [GeneratedRegex(@"comment\s+(?:--comment\s+)?""([^""]+)""")]
    private static partial Regex RuleComment();

    private async Task<TraceHop> RouteHopAsync(string netns, string who, IPAddress to, CancellationToken ct)
    {
        var route = await run.TryRunAsync("ip", ["-n", netns, "route", "get", to.ToString()], cancellationToken: ct).ConfigureAwait(false);
        var line = (route.Succeeded ? route.StandardOutput : route.StandardError).Split('\n')[0].Trim();
        return new TraceHop($"{who} route", route.Succeeded ? "routing table lookup" : "no route", [line], $"sudo ip -n {netns} route get {to}");
    }

    private async Task<(TraceHop? Hop, IPAddress? Endpoint)> ConntrackHopAsync(string node, ProbeSpec probe, CancellationToken ct)
    {
        string[] filter = probe.Protocol == ProbeProtocol.Icmp
            ? ["-p", "icmp", "--orig-src", probe.FromAddress.ToString()]
            : ["-p", probe.Protocol4, "--orig-src", probe.FromAddress.ToString(), "--orig-port-src", probe.SourcePort.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        var netns = layout.NodeNamespace(node);
        var entries = await run.TryRunAsync(NetnsExec.Ip, NetnsExec.Arguments(netns, "conntrack", ["-L", .. filter]), cancellationToken: ct).ConfigureAwait(false);
        var line = entries.StandardOutput.Split('\n').FirstOrDefault(l => l.Contains("dst=" + probe.ToAddress, StringComparison.Ordinal))?.Trim();
        if (line is null)
            return (await TableHopAsync(node, ct).ConfigureAwait(false), null);
        var replySource = ReplySource().Match(line);
        var endpoint = replySource.Success ? IPAddress.Parse(replySource.Groups[1].Value) : null;
        var what = endpoint is not null && !endpoint.Equals(probe.ToAddress)
            ? $"DNAT chose {endpoint}{(replySource.Groups[2].Success ? ":" + replySource.Groups[2].Value : "")} (the reply's source in the conntrack entry)"
            : "no address translation";
        return (new TraceHop($"node {node} conntrack", what, [line], $"sudo ip netns exec {netns} conntrack -L -p {probe.Protocol4}"), endpoint);
    }

    /// <summary>linux-vxlan: the neighbour (the remote VXLAN device's MAC) and the FDB entry that says which node has it.</summary>
    private async Task<TraceHop?> FdbHopAsync(string node, IPAddress to, CancellationToken ct)
    {
        var netns = layout.NodeNamespace(node);
        var route = await run.TryRunAsync("ip", ["-n", netns, "route", "get", to.ToString()], cancellationToken: ct).ConfigureAwait(false);
        if (!route.StandardOutput.Contains("dev " + Fabric.Model.FabricNames.VxlanDevice, StringComparison.Ordinal))
            return null;
        var via = Via().Match(route.StandardOutput) is { Success: true } v ? v.Groups[1].Value : to.ToString();
        var neigh = await run.TryRunAsync("ip", ["-n", netns, "neigh", "show", via, "dev", Fabric.Model.FabricNames.VxlanDevice], cancellationToken: ct).ConfigureAwait(false);
        var mac = Mac().Match(neigh.StandardOutput) is { Success: true } m ? m.Groups[1].Value : null;
        var fdb = await run.TryRunAsync("bridge", ["-n", netns, "fdb", "show", "dev", Fabric.Model.FabricNames.VxlanDevice], cancellationToken: ct).ConfigureAwait(false);
        var entry = mac is null ? null : fdb.StandardOutput.Split('\n').FirstOrDefault(l => l.StartsWith(mac, StringComparison.OrdinalIgnoreCase))?.Trim();
        return new TraceHop($"node {node} VXLAN", entry is null ? "no FDB entry for the next hop" : "FDB: which node the next hop's MAC lives on",
            [.. new[] { neigh.StandardOutput.Trim(), entry ?? "" }.Where(l => l.Length > 0)],
            $"sudo bridge -n {netns} fdb show dev {Fabric.Model.FabricNames.VxlanDevice}");
    }

    /// <summary>
    /// OVS: <c>ofproto/trace</c> of the packet as the node's stack hands it back to the bridge (in_port=LOCAL) after
    /// routing and NAT (the conntrack entry's reply tuple, reversed), which is where OVS picks a pod port or a tunnel.
    /// </summary>
    private async Task<TraceHop> OvsHopAsync(string node, ProbeSpec probe, Match? reply, CancellationToken ct)
    {
        var (src, dst, sport, dport) = reply is null
            ? (probe.FromAddress.ToString(), probe.ToAddress.ToString(), probe.SourcePort.ToString(System.Globalization.CultureInfo.InvariantCulture), probe.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            : (reply.Groups["dst"].Value, reply.Groups["src"].Value, reply.Groups["dport"].Value, reply.Groups["sport"].Value);
        // A local pod is reached by MAC learning (NORMAL): give the flow the MAC the node resolved for it.
        var neigh = await run.TryRunAsync("ip", ["-n", layout.NodeNamespace(node), "neigh", "show", dst], cancellationToken: ct).ConfigureAwait(false);
        var mac = Mac().Match(neigh.StandardOutput) is { Success: true } m ? $",dl_dst={m.Groups[1].Value}" : "";
        var flow = probe.Protocol == ProbeProtocol.Icmp
            ? $"in_port=LOCAL{mac},icmp,nw_src={src},nw_dst={dst}"
            : $"in_port=LOCAL{mac},{probe.Protocol4},nw_src={src},nw_dst={dst},tp_src={sport},tp_dst={dport}";
        var control = Path.Combine(layout.OvsDirectory(node), "ovs-vswitchd.ctl");
        var look = $"sudo ovs-appctl -t {control} ofproto/trace {Fabric.Model.FabricNames.Bridge} '{flow}'";
        var trace = await run.TryRunAsync("ovs-appctl", ["-t", control, "ofproto/trace", Fabric.Model.FabricNames.Bridge, flow], cancellationToken: ct).ConfigureAwait(false);
        if (!trace.Succeeded)
            return new TraceHop($"node {node} OVS", "ofproto/trace not available", [trace.StandardError.Trim()], look);
        var lines = trace.StandardOutput.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0 && !l.StartsWith("Flow:", StringComparison.Ordinal)
            && !l.StartsWith("Megaflow:", StringComparison.Ordinal) && !l.StartsWith("---", StringComparison.Ordinal)).ToList();
        var tunnel = lines.FirstOrDefault(l => l.Contains("tunneling to", StringComparison.Ordinal))?.Trim();
        var what = tunnel is not null ? $"OpenFlow: {tunnel.TrimStart('-', '>', ' ')}"
            : lines.Any(l => l.Contains("forwarding to learned port", StringComparison.Ordinal)) ? "OpenFlow: switched to a pod port of this node (learned MAC)"
            : "OpenFlow pipeline of the bridge (ofproto/trace)";
        return new TraceHop($"node {node} OVS", what, lines, look);
    }

    /// <summary>
    /// Sends the probe from its namespace: a TCP connect plus an HTTP GET, a UDP datagram (a DNS query to port 53), or
    /// one ping (full-size with don't-fragment when the probe has a size).
    /// </summary>
    private async Task<(bool Delivered, string Outcome)> SendAsync(ProbeSpec probe, CancellationToken ct)
    {
        if (probe.Protocol == ProbeProtocol.Icmp)
        {
            string[] size = probe.Size is { } bytes ? ["-M", "do", "-s", (bytes - 28).ToString(System.Globalization.CultureInfo.InvariantCulture)] : [];
            var ping = await run.TryRunAsync(NetnsExec.Ip, NetnsExec.Arguments(probe.FromNetns, "ping", ["-n", "-c", "1", "-W", "2", .. size, probe.ToAddress.ToString()]), cancellationToken: ct).ConfigureAwait(false);
            return (ping.Succeeded, ping.StandardOutput.Split('\n').FirstOrDefault(l => l.Contains("bytes from", StringComparison.Ordinal))?.Trim()
                ?? "no echo reply within 2 s");
        }
        using var ns = NetworkNamespace.Open(Namespaces.PathOf(probe.FromNetns));
        using var socket = ns.Run(() => new Socket(AddressFamily.InterNetwork,
            probe.Protocol == ProbeProtocol.Tcp ? SocketType.Stream : SocketType.Dgram, probe.Protocol == ProbeProtocol.Tcp ? ProtocolType.Tcp : ProtocolType.Udp));
        socket.Bind(new IPEndPoint(probe.FromAddress, probe.SourcePort));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ProbeTimeout);
        var buffer = new byte[512];
        try
        {
            await socket.ConnectAsync(new IPEndPoint(probe.ToAddress, probe.Port), timeout.Token).ConfigureAwait(false);
            var dns = probe.Protocol == ProbeProtocol.Udp && probe.Port == Core.Planning.ClusterDns.Port;
            await socket.SendAsync(probe.Protocol == ProbeProtocol.Tcp ? Encoding.ASCII.GetBytes($"GET / HTTP/1.0\r\nHost: {probe.ToAddress}\r\n\r\n")
                : dns ? DnsQuery.VersionQuery(plan.Lab.Network.ClusterDomain) : Encoding.ASCII.GetBytes("netlab trace"), timeout.Token).ConfigureAwait(false);
            var n = await socket.ReceiveAsync(buffer, timeout.Token).ConfigureAwait(false);
            var answer = dns ? $"a DNS answer ({n} bytes)" : Encoding.UTF8.GetString(buffer, 0, n).Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0) ?? "";
            return (true, $"answered: {answer}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (false, $"no answer within {ProbeTimeout.TotalSeconds:0} s: dropped or black-holed on the way");
        }
        catch (SocketException e)
        {
            return (false, e.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "refused: nothing listens there, or a REJECT rule answered",
                SocketError.HostUnreachable or SocketError.NetworkUnreachable => "no route to host",
                _ => e.Message,
            });
        }
    }

    [GeneratedRegex(@"verdict ([^)]+)\)|:(ACCEPT|DROP|RETURN|CONTINUE)\b")]
    private static partial Regex VerdictText();

    [GeneratedRegex(@"src=\S+ dst=\S+ sport=\d+ dport=\d+ .*?src=(\S+) dst=\S+(?: sport=(\d+))?")]
    private static partial Regex ReplySource();

    [GeneratedRegex(@"src=\S+ dst=\S+ sport=\d+ dport=\d+ .*?src=(?<src>\S+) dst=(?<dst>\S+) sport=(?<sport>\d+) dport=(?<dport>\d+)")]
    private static partial Regex ReplyTuple();

    [GeneratedRegex(@" via (\S+)")]
    private static partial Regex Via();

    [GeneratedRegex(@"lladdr (\S+)")]
    private static partial Regex Mac();
}
