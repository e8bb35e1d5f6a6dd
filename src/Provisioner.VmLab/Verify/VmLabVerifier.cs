using System.Net;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Core.Validation;
using Provisioner.Core.Verification;
using Provisioner.Deploy.Multipass;
using Provisioner.Multipass;
using Provisioner.VmLab.Cluster;

namespace Provisioner.VmLab.Verify;

/// <summary>
/// <c>netlab verify</c> on the VM lab: the netns lab's layered checks, bottom layer first — VM to VM on the underlay,
/// pod to its gateway, pod to pod on a node and across nodes, pod to ClusterIP, this machine to NodePort, pod egress,
/// cluster DNS — run with <c>multipass exec</c> and <c>kubectl exec</c>, each with the command to look further.
/// The pods answer with agnhost netexec's <c>/hostname</c> (the pod's name), as the netns pods answer with their name.
/// </summary>
public sealed class VmLabVerifier(VmLabTarget target, VmProbes probes)
{
    public const string NamePath = "/hostname";

    private LabConfig Lab => target.Lab;
    private LabPlan Plan => target.Plan;
    private Kubectl Kubectl => probes.Kubectl;

    public async Task<IReadOnlyList<VerifyCheck>> RunAsync(CancellationToken ct = default)
    {
        var addresses = await AddressesAsync(ct).ConfigureAwait(false);
        var pods = ClusterState.Pods(await Kubectl.GetJsonAsync("pods", WorkloadLabels.Selector(Lab.Name), ct: ct).ConfigureAwait(false))
            .Where(p => Lab.Pods.Any(s => s.Name == p.Name && s.Namespace == p.Namespace)) // each in its stack namespace
            .ToDictionary(p => p.Name, StringComparer.Ordinal);
        var lab = new Snapshot(addresses, pods);

        var checks = new List<VerifyCheck>();
        checks.AddRange(await UnderlayAsync(lab, ct).ConfigureAwait(false));
        checks.AddRange(await Parallel(Lab.Pods.Select(p => GatewayAsync(lab, p, ct))).ConfigureAwait(false));
        checks.AddRange(await PodToPodAsync(lab, ct).ConfigureAwait(false));
        checks.AddRange(await ClusterIpsAsync(lab, ct).ConfigureAwait(false));
        checks.AddRange(await NodePortsAsync(lab, ct).ConfigureAwait(false));
        checks.AddRange(await EgressAsync(lab, ct).ConfigureAwait(false));
        checks.AddRange(await DnsAsync(lab, ct).ConfigureAwait(false));
        return checks;
    }

    /// <summary>What the checks read once: each node's address (or why it has none) and the lab's pods on the cluster.</summary>
    private sealed record Snapshot(IReadOnlyDictionary<string, (IPAddress? Address, string Problem)> Nodes, IReadOnlyDictionary<string, PodState> Pods)
    {
        public IPAddress? PodAddress(string pod) =>
            Pods.TryGetValue(pod, out var p) && p.Ready && IPAddress.TryParse(p.Address, out var a) ? a : null;
    }

    private async Task<Dictionary<string, (IPAddress? Address, string Problem)>> AddressesAsync(CancellationToken ct)
    {
        var result = new Dictionary<string, (IPAddress?, string)>(StringComparer.Ordinal);
        foreach (var node in target.Nodes)
        {
            var info = await probes.InfoAsync(node.Vm, ct).ConfigureAwait(false);
            result[node.Name] = info switch
            {
                null => (null, $"there is no VM {node.Vm}"),
                { IsRunning: false } => (null, $"VM {node.Vm} is {info.State}"),
                { IPv4.IsEmpty: true } => (null, $"VM {node.Vm} has no IPv4 address"),
                _ => (NodeAddress.Choose(info, Lab.Network.NodeCidr).Address, ""),
            };
        }
        return result;
    }

    private async Task<IEnumerable<VerifyCheck>> UnderlayAsync(Snapshot lab, CancellationToken ct)
    {
        var first = target.Nodes[0];
        var checks = new List<VerifyCheck>();
        if (target.Nodes.Length == 1 && lab.Nodes[first.Name].Address is null)
            checks.Add(new VerifyCheck(Layer.Underlay, $"node {first.Name} ({first.Vm})", false, lab.Nodes[first.Name].Problem, $"multipass info {first.Vm}"));
        foreach (var other in target.Nodes.Skip(1))
        {
            var (from, to) = (lab.Nodes[first.Name], lab.Nodes[other.Name]);
            var name = $"node {first.Name} -> node {other.Name} ({to.Address?.ToString() ?? "no address"})";
            var look = $"multipass info {other.Vm}; multipass exec {other.Vm} -- ip -4 addr";
            if (from.Address is null || to.Address is null)
            {
                checks.Add(new VerifyCheck(Layer.Underlay, name, false, from.Address is null ? from.Problem : to.Problem, look));
                continue;
            }
            var (ok, detail) = await probes.PingFromVmAsync(first.Vm, to.Address, ct).ConfigureAwait(false);
            checks.Add(new VerifyCheck(Layer.Underlay, name, ok, ok ? detail : $"{detail} on the underlay", look));
        }
        return checks;
    }

    private async Task<VerifyCheck> GatewayAsync(Snapshot lab, PodSpec pod, CancellationToken ct)
    {
        var gateway = Plan.Addresses.Node(pod.Node).Gateway;
        var vm = target.Node(pod.Node).Vm;
        lab.Pods.TryGetValue(pod.Name, out var state);
        var name = $"pod {pod.Name} ({state?.Address ?? "no address"}) -> gateway {gateway}";
        if (state is null || lab.PodAddress(pod.Name) is null)
        {
            return new VerifyCheck(Layer.PodNetwork, name, false,
                state is null ? "the pod is not on the cluster (did the workloads step run?)" : $"the pod is {state.Describe()}",
                state is null ? Kubectl.Line("get", "pods", "--all-namespaces", "--output", "wide") : Kubectl.Line("describe", "pod", "--namespace", pod.Namespace, pod.Name));
        }
        var (ok, detail) = await probes.PingFromPodAsync(pod.Name, pod.Namespace, gateway, ct).ConfigureAwait(false);
        return new VerifyCheck(Layer.PodNetwork, name, ok, ok ? detail : $"{detail} from the node bridge",
            $"{Kubectl.Line("exec", "--namespace", pod.Namespace, pod.Name, "--", "ip", "addr")}; {Kubectl.Line("exec", "--namespace", pod.Namespace, pod.Name, "--", "ip", "route")}; " +
            $"multipass exec {vm} -- ip addr show netlab0");
    }

    private async Task<IEnumerable<VerifyCheck>> PodToPodAsync(Snapshot lab, CancellationToken ct)
    {
        var byNode = Lab.Pods.GroupBy(p => p.Node).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var tasks = new List<Task<VerifyCheck>>();
        foreach (var (node, pods) in byNode.Where(kv => kv.Value.Count > 1))
        {
            var vm = target.Node(node).Vm;
            tasks.Add(HttpCheckAsync(lab, Layer.NodeBridge, pods[0], pods[1], $"same node {node}",
                Lab.Network.Fabric == FabricKind.OvsVxlan ? $"multipass exec {vm} -- sudo ovs-vsctl show" : $"multipass exec {vm} -- bridge link show", ct));
        }
        var nodes = byNode.Keys.Order(StringComparer.Ordinal).ToList();
        foreach (var from in nodes)
        {
            foreach (var to in nodes.Where(n => n != from))
                tasks.Add(HttpCheckAsync(lab, Layer.Fabric, byNode[from][0], byNode[to][0], $"{from} -> {to}", FabricHint(from), ct));
        }
        return await Parallel(tasks).ConfigureAwait(false);
    }

    private string FabricHint(string node)
    {
        var vm = target.Node(node).Vm;
        return Lab.Network.Fabric switch
        {
            FabricKind.OvsVxlan => $"multipass exec {vm} -- sudo ovs-ofctl dump-flows netlab0; multipass exec {vm} -- sudo tcpdump -ni any udp port 4789",
            FabricKind.LinuxVxlan => $"multipass exec {vm} -- ip route; multipass exec {vm} -- bridge fdb show; multipass exec {vm} -- sudo tcpdump -ni any udp port 4789",
            _ => $"multipass exec {vm} -- ip route",
        };
    }

    private async Task<VerifyCheck> HttpCheckAsync(Snapshot lab, Layer layer, PodSpec from, PodSpec to, string what, string hint, CancellationToken ct)
    {
        var name = $"pod {from.Name} -> pod {to.Name} ({what})";
        if (lab.PodAddress(from.Name) is null || lab.PodAddress(to.Name) is not { } address)
            return new VerifyCheck(layer, name, false, $"pod {(lab.PodAddress(from.Name) is null ? from.Name : to.Name)} is not running and ready", hint);
        var (body, error) = await probes.HttpFromPodAsync(from.Name, from.Namespace, address, to.Port, NamePath, ct).ConfigureAwait(false);
        var ok = body == to.Name;
        return new VerifyCheck(layer, name, ok, ok ? $"{address}:{to.Port} answered" : error ?? $"unexpected answer '{body}'", hint);
    }

    /// <summary>The stack's pods a service's selector picks on the cluster: those of its namespace.</summary>
    private HashSet<string> Endpoints(PlannedService service, string? node = null) =>
        Lab.Pods.Where(p => LabValidator.Selects(service.Spec, p) && (node is null || p.Node == node))
            .Select(p => p.Name).ToHashSet(StringComparer.Ordinal);

    private string RuleDump(string vm) => Lab.Network.ServiceProxy == ServiceProxy.KubeProxy
        ? $"multipass exec {vm} -- sudo iptables-save -t nat | grep KUBE-"
        : Lab.Network.ServiceRules == RuleBackend.Iptables
            ? $"multipass exec {vm} -- sudo iptables-save -t nat | grep NETLAB"
            : $"multipass exec {vm} -- sudo nft list table ip netlab";

    private async Task<IEnumerable<VerifyCheck>> ClusterIpsAsync(Snapshot lab, CancellationToken ct)
    {
        var client = Lab.Pods.FirstOrDefault();
        if (client is null)
            return [];
        var tasks = new List<Task<VerifyCheck>>();
        foreach (var service in Plan.Addresses.Services.Where(s => s.ClusterIP is not null))
        {
            foreach (var port in service.Ports.Where(p => p.Protocol == TransportProtocol.TCP))
                tasks.Add(ServiceCheckAsync(lab, client, service, port, ct));
        }
        return await Parallel(tasks).ConfigureAwait(false);
    }

    private async Task<VerifyCheck> ServiceCheckAsync(Snapshot lab, PodSpec client, PlannedService service, ServicePortSpec port, CancellationToken ct)
    {
        var name = $"pod {client.Name} -> service {service.Spec.Name} {service.ClusterIP}:{port.Port}";
        var look = $"netlab explain {service.Spec.Name}; {RuleDump(target.Node(client.Node).Vm)}";
        var endpoints = Endpoints(service);
        if (endpoints.Count == 0)
            return new VerifyCheck(Layer.ServiceRules, name, true, $"skipped: no pod of namespace {service.Spec.Namespace} matches its selector", Skipped: true);
        if (lab.PodAddress(client.Name) is null)
            return new VerifyCheck(Layer.ServiceRules, name, false, $"pod {client.Name} is not running and ready", look);
        var (body, error) = await probes.HttpFromPodAsync(client.Name, client.Namespace, service.ClusterIP!, port.Port, NamePath, ct).ConfigureAwait(false);
        var ok = body is not null && endpoints.Contains(body);
        return new VerifyCheck(Layer.ServiceRules, name, ok, ok ? $"answered by {body}" : error ?? $"answered by '{body}', not an endpoint", look);
    }

    private async Task<IEnumerable<VerifyCheck>> NodePortsAsync(Snapshot lab, CancellationToken ct)
    {
        var tasks = new List<Task<VerifyCheck>>();
        foreach (var service in Plan.Addresses.Services.Where(s => s.Spec.Type is ServiceType.NodePort or ServiceType.LoadBalancer))
        {
            foreach (var port in service.Ports.Where(p => p.Protocol == TransportProtocol.TCP))
            {
                foreach (var node in target.Nodes)
                    tasks.Add(NodePortCheckAsync(lab, service, port, node, ct));
            }
        }
        return await Parallel(tasks).ConfigureAwait(false);
    }

    private async Task<VerifyCheck> NodePortCheckAsync(Snapshot lab, PlannedService service, ServicePortSpec port, VmNode node, CancellationToken ct)
    {
        var address = lab.Nodes[node.Name].Address;
        var name = $"this machine -> {node.Name} {address?.ToString() ?? "(no address)"}:{port.NodePort} (service {service.Spec.Name})";
        var local = service.Spec.ExternalTrafficPolicy == TrafficPolicy.Local;
        var expected = Endpoints(service, local ? node.Name : null);
        if (expected.Count == 0)
        {
            return new VerifyCheck(Layer.NodePort, name, true,
                local ? "skipped: externalTrafficPolicy Local and no endpoint on this node" : "skipped: the service has no endpoint", Skipped: true);
        }
        if (address is null)
            return new VerifyCheck(Layer.NodePort, name, false, lab.Nodes[node.Name].Problem, $"multipass info {node.Vm}");
        var (body, error) = await probes.HttpFromHostAsync(address, port.NodePort, NamePath, ct).ConfigureAwait(false);
        var ok = body is not null && expected.Contains(body);
        return new VerifyCheck(Layer.NodePort, name, ok, ok ? $"answered by {body}" : error ?? $"answered by '{body}'", RuleDump(node.Vm));
    }

    /// <summary>A pod reaches this machine (outside the cluster) through its node's default route: only if the node masquerades it.</summary>
    private async Task<IEnumerable<VerifyCheck>> EgressAsync(Snapshot lab, CancellationToken ct)
    {
        if (Lab.Pods.FirstOrDefault() is not { } client)
            return [];
        var vm = target.Node(client.Node).Vm;
        var look = $"multipass exec {vm} -- sudo iptables-save -t nat | grep -i masquerade; multipass exec {vm} -- sudo nft list ruleset | grep -i masquerade";
        var gateway = await probes.DefaultGatewayAsync(vm, ct).ConfigureAwait(false);
        var name = $"pod {client.Name} -> {gateway?.ToString() ?? "?"} outside the cluster ({vm}'s default gateway)";
        if (gateway is null)
            return [new VerifyCheck(Layer.Egress, name, false, $"{vm} has no default route (multipass exec {vm} -- ip -4 route show default)", look)];
        if (lab.PodAddress(client.Name) is null)
            return [new VerifyCheck(Layer.Egress, name, false, $"pod {client.Name} is not running and ready", look)];
        var (ok, detail) = await probes.PingFromPodAsync(client.Name, client.Namespace, gateway, ct).ConfigureAwait(false);
        return [new VerifyCheck(Layer.Egress, name, ok, ok ? $"{detail} (the node masquerades pod traffic leaving the cluster)"
            : $"{detail}: pod traffic leaves {vm} with its pod address, which nothing outside routes back", look)];
    }

    private async Task<IEnumerable<VerifyCheck>> DnsAsync(Snapshot lab, CancellationToken ct)
    {
        if (Lab.Pods.FirstOrDefault() is not { } client)
            return [];
        var look = $"{Kubectl.Line("--namespace", "kube-system", "get", "pods", "--selector", "k8s-app=kube-dns", "--output", "wide")}; " +
            Kubectl.Line("--namespace", "kube-system", "logs", "--selector", "k8s-app=kube-dns", "--tail=20");
        var lookups = new List<(string Name, IPAddress Expected)> { ("kubernetes.default", Plan.Addresses.KubernetesServiceIP) };
        if (Plan.Addresses.Services.FirstOrDefault(s => s.ClusterIP is not null) is { } service)
            lookups.Add(($"{service.Spec.Name}.{service.Spec.Namespace}", service.ClusterIP!));
        return await Parallel(lookups.Select(async l =>
        {
            var name = $"pod {client.Name}: {l.Name} -> {l.Expected} (cluster DNS {Plan.Addresses.ClusterDns})";
            if (lab.PodAddress(client.Name) is null)
                return new VerifyCheck(Layer.Dns, name, false, $"pod {client.Name} is not running and ready", look);
            var (addresses, error) = await probes.LookupFromPodAsync(client.Name, client.Namespace, l.Name, ct).ConfigureAwait(false);
            var ok = addresses.Contains(l.Expected);
            return new VerifyCheck(Layer.Dns, name, ok, ok ? "CoreDNS answered" : error ?? $"answered {string.Join(", ", addresses)}", look);
        })).ConfigureAwait(false);
    }

    private static async Task<IEnumerable<VerifyCheck>> Parallel(IEnumerable<Task<VerifyCheck>> checks) => await Task.WhenAll(checks).ConfigureAwait(false);
}
