using System.Globalization;
using System.Net;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Core.Validation;
using Provisioner.Core.Verification;
using Provisioner.Host.Iproute;

namespace Provisioner.Netns.Verify;

public sealed partial class LabVerifier
{
    /// <summary>The source port of the long-lived UDP flow verify keeps to the DNS service, as a resolver or a metrics client keeps one.</summary>
    public const int StableUdpPort = 10053;

    /// <summary>A table this full drops new flows soon (at 100 % the kernel drops every packet that needs a new entry).</summary>
    private const double ConntrackPressure = 0.9;

    /// <summary>Each node's connection-tracking table: entries against nf_conntrack_max.</summary>
    private async Task<IEnumerable<VerifyCheck>> ConntrackTablesAsync(CancellationToken ct)
    {
        var checks = new List<VerifyCheck>();
        foreach (var node in plan.Addresses.Nodes)
        {
            var netns = layout.NodeNamespace(node.Node.Name);
            var read = await Run.TryRunAsync(NetnsExec.Ip, NetnsExec.Command(netns, ["cat", "/proc/sys/net/netfilter/nf_conntrack_count", "/proc/sys/net/netfilter/nf_conntrack_max"]),
                cancellationToken: ct).ConfigureAwait(false);
            var values = read.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (!read.Succeeded || values.Length != 2)
                continue; // no conntrack in this namespace yet: nothing is tracked, so nothing can be full
            var (count, max) = (long.Parse(values[0], CultureInfo.InvariantCulture), long.Parse(values[1], CultureInfo.InvariantCulture));
            var ok = max == 0 || count < max * ConntrackPressure;
            checks.Add(new VerifyCheck(Layer.Conntrack, $"node {node.Node.Name} conntrack table", ok,
                $"{count} of {max} entries{(ok ? "" : count >= max ? ": full, every packet that needs a new entry is dropped" : ": nearly full")}",
                $"ip netns exec {netns} conntrack -S; ip netns exec {netns} conntrack -L | head"));
        }
        return checks;
    }

    /// <summary>
    /// Full-size packets that may not be fragmented: node to node at the underlay MTU, pod to pod across nodes at the
    /// pod MTU (what the tunnel was sized for). Small pings prove little: a path MTU black hole passes them.
    /// </summary>
    private async Task<IEnumerable<VerifyCheck>> FullSizePacketsAsync(CancellationToken ct)
    {
        var checks = new List<VerifyCheck>();
        var first = plan.Addresses.Nodes[0];
        var underlayMtu = Lab.Network.UnderlayMtu;
        foreach (var other in plan.Addresses.Nodes.Skip(1))
        {
            var ok = await probe.PingDontFragmentAsync(layout.NodeNamespace(first.Node.Name), other.UnderlayAddress, underlayMtu, ct).ConfigureAwait(false);
            checks.Add(new VerifyCheck(Layer.Underlay, $"node {first.Node.Name} -> node {other.Node.Name}: {underlayMtu}-byte packet, don't fragment", ok,
                ok ? "answered: the underlay carries its full MTU" : $"lost (small pings pass?): something on the underlay carries less than {underlayMtu} bytes",
                $"ip -n {layout.UnderlayNamespace} link; ip netns exec {layout.NodeNamespace(first.Node.Name)} ping -M do -s {underlayMtu - 28} {other.UnderlayAddress}"));
        }
        var byNode = UserPods.GroupBy(p => p.Node).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var podMtu = plan.Addresses.PodMtu;
        foreach (var (from, to) in byNode.Keys.SelectMany(a => byNode.Keys.Where(b => b != a).Select(b => (a, b))).Order())
        {
            if (podAddress(byNode[to].Name) is not { } target)
                continue; // the pod-to-pod check already says it has no address
            var ok = await probe.PingDontFragmentAsync(layout.PodNamespace(byNode[from].Name), target, podMtu, ct).ConfigureAwait(false);
            checks.Add(new VerifyCheck(Layer.Fabric, $"pod {byNode[from].Name} -> pod {byNode[to].Name} ({from} -> {to}): {podMtu}-byte packet, don't fragment", ok,
                ok ? "answered: the fabric carries the pod MTU" : $"lost: a {podMtu}-byte pod packet does not cross from {from} to {to}",
                $"ip netns exec {layout.PodNamespace(byNode[from].Name)} ping -M do -s {podMtu - 28} {target}; {FabricHint(from)}"));
        }
        return checks;
    }

    /// <summary>
    /// Pods from outside, when the outside client has a route to the pod network (through a node, as a router with a
    /// static route would): the answers of pods on other nodes come back another way, so reverse-path filtering shows here.
    /// </summary>
    private async Task<IEnumerable<VerifyCheck>> OutsideToPodsAsync(CancellationToken ct)
    {
        var checks = new List<VerifyCheck>();
        foreach (var pod in UserPods)
        {
            if (podAddress(pod.Name) is not { } target)
                continue;
            var route = await Run.TryRunAsync("ip", ["-n", layout.OutsideNamespace, "route", "get", target.ToString()], cancellationToken: ct).ConfigureAwait(false);
            if (!route.Succeeded || !route.StandardOutput.Contains(" via ", StringComparison.Ordinal))
                continue; // the outside client does not route the pod network (the lab's default): nothing to check
            var (body, error) = await probe.HttpGetAsync(layout.OutsideNamespace, target, pod.Port, ct).ConfigureAwait(false);
            var ok = body?.Split(' ')[0] == pod.Name;
            var via = route.StandardOutput.Split(' ').SkipWhile(w => w != "via").Skip(1).FirstOrDefault();
            checks.Add(new VerifyCheck(Layer.Fabric, $"outside -> pod {pod.Name} {target}:{pod.Port} (routed via {via})", ok,
                ok ? "answered" : $"{error ?? $"unexpected answer '{body}'"}: the request goes in through {via}, the answer comes back its own way",
                $"ip netns exec {layout.NodeNamespace(pod.Node)} sysctl -a | grep '\\.rp_filter'; ip -n {layout.NodeNamespace(pod.Node)} route get {plan.Addresses.OutsideAddress}"));
        }
        return checks;
    }

    /// <summary>
    /// A pod calling a service until an endpoint on its own node answers: that reply crosses only the node bridge, and
    /// reaches the client as the service only if bridged packets go through netfilter (br_netfilter), which undoes the DNAT.
    /// </summary>
    private async Task<IEnumerable<VerifyCheck>> SameNodeServicesAsync(CancellationToken ct)
    {
        const int attempts = 16; // endpoints are chosen at random: 16 misses in a row with two endpoints is 1 in 65536
        var checks = new List<VerifyCheck>();
        foreach (var service in UserServices.Where(s => s.ClusterIP is not null))
        {
            if (service.Ports.FirstOrDefault(p => p.Protocol == TransportProtocol.TCP) is not { } port)
                continue;
            var endpoints = Lab.Pods.Where(p => LabValidator.Selects(service.Spec, p)).ToList();
            foreach (var client in UserPods.Where(p => !endpoints.Contains(p)).GroupBy(p => p.Node).Select(g => g.First()))
            {
                var local = endpoints.Where(e => e.Node == client.Node).Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
                if (local.Count == 0)
                    continue;
                var name = $"pod {client.Name} -> service {service.Spec.Name} answered by a pod on the same node {client.Node}";
                var hint = $"ip netns exec {layout.NodeNamespace(client.Node)} sysctl net.bridge.bridge-nf-call-iptables; ip netns exec {layout.NodeNamespace(client.Node)} conntrack -L -d {service.ClusterIP}";
                var (remote, failures, error) = (0, 0, (string?)null);
                VerifyCheck? result = null;
                for (var i = 0; i < attempts && result is null; i++)
                {
                    var (body, problem) = await probe.HttpGetAsync(layout.PodNamespace(client.Name), service.ClusterIP!, port.Port, ct).ConfigureAwait(false);
                    var answeredBy = body?.Split(' ')[0];
                    if (answeredBy is not null && local.Contains(answeredBy))
                        result = new VerifyCheck(Layer.NodeBridge, name, true, $"answered by {answeredBy}", hint);
                    else if (answeredBy is not null)
                        remote++;
                    else
                        (failures, error) = (failures + 1, problem);
                    // Calls that fail while others, answered from other nodes, pass: it is the same-node path that breaks.
                    if (failures > 0 && remote > 0)
                        result = new VerifyCheck(Layer.NodeBridge, name, false,
                            $"{error}, while {remote} call(s) answered from other nodes: a reply that stays on the node bridge does not come back as the service", hint);
                    // Only many failures and no answer at all mean the service is down: a few failures in a row are as
                    // likely the same-node endpoint picked a few times (1 in 8 for three calls over two endpoints).
                    else if (failures >= 12 && remote == 0)
                        result = new VerifyCheck(Layer.NodeBridge, name, true, $"skipped: the service does not answer at all ({error}); see its service check", hint, Skipped: true);
                }
                checks.Add(result ?? new VerifyCheck(Layer.NodeBridge, name, true, $"skipped: {attempts} calls all went to other nodes", hint, Skipped: true));
            }
        }
        return checks;
    }

    /// <summary>
    /// A UDP flow that keeps its source port, from one pod per node to the DNS service: it follows its conntrack entry,
    /// not the service rules, so it is where NAT state that outlived its endpoint shows (new source ports are fine).
    /// </summary>
    private async Task<IEnumerable<VerifyCheck>> StableUdpFlowsAsync(CancellationToken ct)
    {
        var checks = new List<VerifyCheck>();
        if (!Lab.Pods.Any(ClusterDns.IsDnsPod))
            return checks;
        var dnsIp = plan.Addresses.ClusterDns;
        var query = $"dns-version.{Lab.Network.ClusterDomain}";
        foreach (var client in UserPods.GroupBy(p => p.Node).Select(g => g.First()))
        {
            if (podAddress(client.Name) is not { } address)
                continue;
            var source = $"{address}#{StableUdpPort.ToString(CultureInfo.InvariantCulture)}";
            var answer = await DigAsync(layout.PodNamespace(client.Name), ["-b", source, $"@{dnsIp}", query, "TXT"], ct).ConfigureAwait(false);
            var ok = answer is [var v] && v.Trim('"') == ClusterDns.SchemaVersion;
            var netns = layout.NodeNamespace(client.Node);
            var entry = ok ? null : (await Run.TryRunAsync(NetnsExec.Ip, NetnsExec.Command(netns, ["conntrack", "-L", "-p", "udp", "--orig-src", address.ToString(), "--orig-port-src", StableUdpPort.ToString(CultureInfo.InvariantCulture)]), cancellationToken: ct).ConfigureAwait(false)).StandardOutput.Trim();
            checks.Add(new VerifyCheck(Layer.ServiceRules, $"pod {client.Name} -> service {ClusterDns.ServiceName} {dnsIp}:53/udp from the same source port {StableUdpPort}", ok,
                ok ? "answered through the service rules" : $"{Describe(answer)}; this flow's conntrack entry: {(string.IsNullOrEmpty(entry) ? "none" : entry)}",
                $"ip netns exec {netns} conntrack -L -p udp --orig-port-src {StableUdpPort}; netlab explain {ClusterDns.ServiceName}"));
        }
        return checks;
    }
}
