using System.Net;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Core.Validation;
using Provisioner.Core.Verification;
using Provisioner.Host.Processes;

namespace Provisioner.Netns.Verify;

/// <summary>
/// <c>netlab verify</c>: the checks an SRE makes by hand, bottom layer first — node to node on the underlay, pod to
/// its gateway, pod to pod on a node, pod to pod across nodes, pod to ClusterIP, outside to NodePort — each with
/// the command to look further when it fails.
/// </summary>
public sealed partial class LabVerifier(LabPlan plan, LabLayout layout, Probe probe, Func<string, IPAddress?> podAddress, ProcessRunner? runner = null)
{
    private LabConfig Lab => plan.Lab;
    private ProcessRunner Run => runner ?? ProcessRunner.Default;

    /// <summary>The stack's own pods: the DNS pod answers DNS, not the HTTP the other checks send.</summary>
    /// <summary>Pods a NetworkPolicy selects are left to the policy layer, which knows what they may reach.</summary>
    private IEnumerable<PodSpec> UserPods => Lab.Pods.Where(p => !ClusterDns.IsDnsPod(p) && Unisolated(p));

    private IEnumerable<PlannedService> UserServices => plan.Addresses.Services.Where(s => !ClusterDns.IsDnsService(s.Spec)
        && Lab.Pods.Where(p => LabValidator.Selects(s.Spec, p)).All(Unisolated));

    public async Task<IReadOnlyList<VerifyCheck>> RunAsync(CancellationToken ct = default)
    {
        var checks = new List<VerifyCheck>();
        _isolatedByTheKernelOnly = await IsolatedByTheKernelOnlyAsync(ct).ConfigureAwait(false);
        checks.AddRange(await ConntrackTablesAsync(ct).ConfigureAwait(false));
        checks.AddRange(await UnderlayAsync(ct).ConfigureAwait(false));
        checks.AddRange(await GatewaysAsync(ct).ConfigureAwait(false));
        checks.AddRange(await PodToPodAsync(ct).ConfigureAwait(false));
        checks.AddRange(await FullSizePacketsAsync(ct).ConfigureAwait(false));
        checks.AddRange(await OutsideToPodsAsync(ct).ConfigureAwait(false));
        checks.AddRange(await SameNodeServicesAsync(ct).ConfigureAwait(false));
        checks.AddRange(await ClusterIpsAsync(ct).ConfigureAwait(false));
        checks.AddRange(await StableUdpFlowsAsync(ct).ConfigureAwait(false));
        checks.AddRange(await NodePortsAsync(ct).ConfigureAwait(false));
        checks.AddRange(await LoadBalancersAsync(ct).ConfigureAwait(false));
        checks.AddRange(await DnsAsync(ct).ConfigureAwait(false));
        checks.AddRange(await PolicyAsync(ct).ConfigureAwait(false));
        return checks;
    }

    private async Task<IEnumerable<VerifyCheck>> UnderlayAsync(CancellationToken ct)
    {
        var first = plan.Addresses.Nodes[0];
        var checks = new List<VerifyCheck>();
        foreach (var other in plan.Addresses.Nodes.Skip(1))
        {
            var ok = await probe.PingAsync(layout.NodeNamespace(first.Node.Name), other.UnderlayAddress, ct).ConfigureAwait(false);
            checks.Add(new VerifyCheck(Layer.Underlay, $"node {first.Node.Name} -> node {other.Node.Name} ({other.UnderlayAddress})", ok,
                ok ? "ping answered" : "no ping answer on the underlay",
                $"ip -n {layout.NodeNamespace(other.Node.Name)} addr show {LabLayout.NodeInterface}; bridge -n {layout.UnderlayNamespace} link"));
        }
        return checks;
    }

    private async Task<IEnumerable<VerifyCheck>> GatewaysAsync(CancellationToken ct)
    {
        var checks = new List<VerifyCheck>();
        foreach (var pod in Lab.Pods)
        {
            var node = plan.Addresses.Node(pod.Node);
            var podNs = layout.PodNamespace(pod.Name);
            var ok = podAddress(pod.Name) is not null && await probe.PingAsync(podNs, node.Gateway, ct).ConfigureAwait(false);
            checks.Add(new VerifyCheck(Layer.PodNetwork, $"pod {pod.Name} ({podAddress(pod.Name)?.ToString() ?? "no address"}) -> gateway {node.Gateway}", ok,
                ok ? "ping answered" : podAddress(pod.Name) is null ? "the pod has no address (netlab-cni ADD did not succeed)" : "no ping answer from the node bridge",
                $"ip -n {podNs} addr show {LabLayout.PodInterface}; ip -n {podNs} route; ip -n {layout.NodeNamespace(pod.Node)} addr show netlab0"));
        }
        return checks;
    }

    private async Task<IEnumerable<VerifyCheck>> PodToPodAsync(CancellationToken ct)
    {
        var checks = new List<VerifyCheck>();
        var byNode = UserPods.GroupBy(p => p.Node).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        foreach (var (node, pods) in byNode.Where(kv => kv.Value.Count > 1))
            checks.Add(await HttpCheckAsync(Layer.NodeBridge, pods[0], pods[1], $"same node {node}",
                Fabric == FabricKind.OvsVxlan ? $"ovs-vsctl --db=unix:{layout.OvsDirectory(node)}/db.sock show" : $"bridge -n {layout.NodeNamespace(node)} link show",
                ct).ConfigureAwait(false));
        var nodes = byNode.Keys.Order(StringComparer.Ordinal).ToList();
        for (var i = 0; i < nodes.Count; i++)
        {
            for (var j = 0; j < nodes.Count; j++)
            {
                if (i != j)
                    checks.Add(await HttpCheckAsync(Layer.Fabric, byNode[nodes[i]][0], byNode[nodes[j]][0], $"{nodes[i]} -> {nodes[j]}", FabricHint(nodes[i]), ct).ConfigureAwait(false));
            }
        }
        return checks;
    }

    private FabricKind Fabric => Lab.Network.Fabric;

    private string FabricHint(string node) => Fabric switch
    {
        FabricKind.OvsVxlan => $"ovs-ofctl dump-flows netlab0 (with OVS_RUNDIR={layout.OvsDirectory(node)}); ip netns exec {layout.NodeNamespace(node)} tcpdump -ni {LabLayout.NodeInterface} udp port 4789",
        FabricKind.LinuxVxlan => $"ip -n {layout.NodeNamespace(node)} route; bridge -n {layout.NodeNamespace(node)} fdb show; ip netns exec {layout.NodeNamespace(node)} tcpdump -ni {LabLayout.NodeInterface} udp port 4789",
        _ => $"ip -n {layout.NodeNamespace(node)} route",
    };

    private async Task<VerifyCheck> HttpCheckAsync(Layer layer, PodSpec from, PodSpec to, string what, string hint, CancellationToken ct)
    {
        var target = podAddress(to.Name);
        var name = $"pod {from.Name} -> pod {to.Name} ({what})";
        if (target is null)
            return new VerifyCheck(layer, name, false, $"pod {to.Name} has no address", hint);
        var (body, error) = await probe.HttpGetAsync(layout.PodNamespace(from.Name), target, to.Port, ct).ConfigureAwait(false);
        var ok = body?.Split(' ')[0] == to.Name;
        return new VerifyCheck(layer, name, ok, ok ? $"{target}:{to.Port} answered" : error ?? $"unexpected answer '{body}'", hint);
    }

    private async Task<IEnumerable<VerifyCheck>> ClusterIpsAsync(CancellationToken ct)
    {
        var checks = new List<VerifyCheck>();
        var client = UserPods.FirstOrDefault();
        if (client is null)
            return checks;
        foreach (var service in UserServices.Where(s => s.ClusterIP is not null))
        {
            var endpoints = Lab.Pods.Where(p => LabValidator.Selects(service.Spec, p)).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var port in service.Ports.Where(p => p.Protocol == TransportProtocol.TCP))
            {
                var (body, error) = await probe.HttpGetAsync(layout.PodNamespace(client.Name), service.ClusterIP!, port.Port, ct).ConfigureAwait(false);
                var answeredBy = body?.Split(' ')[0];
                var ok = answeredBy is not null && endpoints.Contains(answeredBy);
                checks.Add(new VerifyCheck(Layer.ServiceRules, $"pod {client.Name} -> service {service.Spec.Name} {service.ClusterIP}:{port.Port}", ok,
                    ok ? $"answered by {answeredBy}" : error ?? $"answered by '{answeredBy}', not an endpoint",
                    $"netlab explain {service.Spec.Name}; ip netns exec {layout.NodeNamespace(client.Node)} {RuleDump}"));
            }
        }
        return checks;
    }

    private string RuleDump => Lab.Network.ServiceRules == RuleBackend.Iptables ? "iptables-save -t nat | grep NETLAB" : "nft list table ip netlab";

    private async Task<IEnumerable<VerifyCheck>> NodePortsAsync(CancellationToken ct)
    {
        var checks = new List<VerifyCheck>();
        foreach (var service in UserServices.Where(s => s.Spec.Type is ServiceType.NodePort or ServiceType.LoadBalancer))
        {
            var endpoints = Lab.Pods.Where(p => LabValidator.Selects(service.Spec, p)).ToList();
            foreach (var port in service.Ports.Where(p => p.Protocol == TransportProtocol.TCP))
            {
                foreach (var node in plan.Addresses.Nodes)
                {
                    var name = $"outside -> {node.Node.Name} {node.UnderlayAddress}:{port.NodePort} (service {service.Spec.Name})";
                    var local = endpoints.Where(p => p.Node == node.Node.Name).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
                    if (service.Spec.ExternalTrafficPolicy == TrafficPolicy.Local && local.Count == 0)
                    {
                        checks.Add(new VerifyCheck(Layer.NodePort, name, true, "skipped: externalTrafficPolicy Local and no endpoint on this node", Skipped: true));
                        continue;
                    }
                    var (body, error) = await probe.HttpGetAsync(layout.OutsideNamespace, node.UnderlayAddress, port.NodePort, ct).ConfigureAwait(false);
                    var answeredBy = body?.Split(' ')[0];
                    var expected = service.Spec.ExternalTrafficPolicy == TrafficPolicy.Local ? local : endpoints.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
                    var ok = answeredBy is not null && expected.Contains(answeredBy);
                    checks.Add(new VerifyCheck(Layer.NodePort, name, ok, ok ? $"answered by {answeredBy}" : error ?? $"answered by '{answeredBy}'",
                        $"ip netns exec {layout.NodeNamespace(node.Node.Name)} {RuleDump}"));
                }
            }
        }
        return checks;
    }
}
