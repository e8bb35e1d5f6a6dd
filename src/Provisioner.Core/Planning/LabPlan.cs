using System.Collections.Immutable;
using Provisioner.Core.Model;
using Provisioner.Core.Validation;

namespace Provisioner.Core.Planning;

/// <summary>
/// The plan of a lab: its addresses and the ordered graph of steps that build it, the same for every backend.
/// Backends (the Pulumi program, the netns CLI) carry steps out; they add their own triggers (rendered file hashes,
/// fabric and rule lines) with <see cref="PlanStep.WithTrigger"/>.
/// </summary>
public sealed record LabPlan(LabConfig Lab, AddressPlan Addresses, ImmutableArray<PlanStep> Steps)
{
    public PlanStep Step(string id) => Steps.FirstOrDefault(s => s.Id == id) ?? throw new KeyNotFoundException($"no step '{id}'");

    public IEnumerable<PlanStep> OfKind(StepKind kind) => Steps.Where(s => s.Kind == kind);

    /// <summary>Plans a lab; throws <see cref="LabConfigException"/> with every problem if it is not valid.</summary>
    public static LabPlan For(LabConfig lab)
    {
        LabValidator.EnsureValid(lab);
        if (lab.Backend == Backend.Netns)
        {
            var withDns = ClusterDns.WithDnsWorkloads(lab); // on VMs kubeadm's CoreDNS is the DNS pod
            Config.Cache.LabIdentity.Derive(lab, withDns, "cluster dns workloads");
            lab = withDns;
        }
        var addresses = AddressPlan.For(lab);
        var steps = lab.Backend == Backend.Multipass ? ClusterSteps(lab, addresses) : NetnsSteps(lab, addresses);
        return new LabPlan(lab, addresses, [.. steps]);
    }

    public static string MachineId(string node) => $"machine-{node}";
    public static string CniId(string node) => $"cni-{node}";
    public static string FabricId(string node) => $"fabric-{node}";
    public static string JoinId(string node) => $"join-{node}";
    public static string ServiceRulesId(string node) => $"service-rules-{node}";
    public static string PodId(string pod) => $"pod-{pod}";
    public static string NetworkPolicyId(string node) => $"network-policy-{node}";
    public const string UnderlayId = "underlay";
    public const string ControlPlaneId = "control-plane";
    public const string KubeconfigId = "kubeconfig";
    public const string ClusterDnsId = "cluster-dns";
    public const string LoadBalancerId = "load-balancers";

    private static IEnumerable<PlanStep> ClusterSteps(LabConfig lab, AddressPlan addresses)
    {
        var cp = lab.ControlPlane.Name;
        foreach (var n in addresses.Nodes)
        {
            yield return MachineStep(lab, n);
            yield return CniStep(lab, n, addresses);
        }
        foreach (var n in addresses.Nodes)
            yield return FabricStep(lab, n, addresses);
        yield return new PlanStep
        {
            Id = ControlPlaneId, Kind = StepKind.ControlPlane, Node = cp,
            Summary = $"kubeadm init on {cp} (Kubernetes {lab.Kubernetes.Version})",
            DependsOn = [MachineId(cp), CniId(cp)],
            Triggers = Triggers(("kubernetes", lab.Kubernetes.Version), ("podCidr", lab.Network.PodCidr),
                ("serviceCidr", lab.Network.ServiceCidr), ("serviceProxy", EnumNames.Of(lab.Network.ServiceProxy))),
        };
        foreach (var w in lab.Workers)
        {
            yield return new PlanStep
            {
                Id = JoinId(w.Name), Kind = StepKind.Join, Node = w.Name, Summary = $"kubeadm join {w.Name} to {cp}",
                DependsOn = [ControlPlaneId, MachineId(w.Name), CniId(w.Name)],
            };
        }
        if (lab.Network.ServiceProxy == ServiceProxy.Netlab)
        {
            foreach (var n in addresses.Nodes)
                yield return ServiceRulesStep(lab, n, [FabricId(n.Node.Name), lab.ControlPlane == n.Node ? ControlPlaneId : JoinId(n.Node.Name)]);
        }
        yield return new PlanStep
        {
            Id = KubeconfigId, Kind = StepKind.Kubeconfig, Node = cp, Summary = $"copy the admin kubeconfig out of {cp}",
            DependsOn = [ControlPlaneId],
        };
    }

    private static IEnumerable<PlanStep> NetnsSteps(LabConfig lab, AddressPlan addresses)
    {
        yield return new PlanStep
        {
            Id = UnderlayId, Kind = StepKind.Underlay, Summary = $"underlay {lab.Network.NodeCidr} (MTU {lab.Network.UnderlayMtu})",
            Triggers = Triggers(("nodeCidr", lab.Network.NodeCidr), ("mtu", lab.Network.UnderlayMtu.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        };
        foreach (var n in addresses.Nodes)
        {
            yield return MachineStep(lab, n) with { DependsOn = [UnderlayId] };
            yield return CniStep(lab, n, addresses);
        }
        foreach (var n in addresses.Nodes)
            yield return FabricStep(lab, n, addresses);
        foreach (var pod in lab.Pods)
        {
            yield return new PlanStep
            {
                Id = PodId(pod.Name), Kind = StepKind.Pod, Node = pod.Node, Pod = pod.Name,
                Summary = $"pod {pod.Name} on {pod.Node}", DependsOn = [CniId(pod.Node), FabricId(pod.Node)],
                Triggers = Triggers(("node", pod.Node), ("port", pod.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    ("labels", string.Join(",", pod.Labels.Select(l => $"{l.Key}={l.Value}")))),
            };
        }
        foreach (var n in addresses.Nodes)
            yield return ServiceRulesStep(lab, n, [FabricId(n.Node.Name), .. lab.Pods.Select(p => PodId(p.Name))]);
        yield return new PlanStep
        {
            Id = ClusterDnsId, Kind = StepKind.ClusterDns, Node = lab.ControlPlane.Name, Pod = ClusterDns.PodName,
            Summary = $"cluster DNS records for {lab.Network.ClusterDomain} (dnsmasq in pod {ClusterDns.PodName}, service {addresses.ClusterDns})",
            DependsOn = [.. lab.Pods.Select(p => PodId(p.Name))],
            Triggers = Triggers(("zone", lab.Network.ClusterDomain), ("address", addresses.ClusterDns.ToString())),
        };
        yield return new PlanStep
        {
            Id = LoadBalancerId, Kind = StepKind.LoadBalancer,
            Summary = $"L2 announcement of {addresses.Services.Count(s => s.LoadBalancerIP is not null)} LoadBalancer and {lab.Services.Sum(s => s.ExternalIPs.Length)} external IPs",
            DependsOn = [.. addresses.Nodes.Select(n => ServiceRulesId(n.Node.Name))],
            Triggers = Triggers(("pool", addresses.LoadBalancerPool?.ToString() ?? "")),
        };
        foreach (var n in addresses.Nodes)
            yield return NetworkPolicyStep(lab, n);
    }

    private static PlanStep NetworkPolicyStep(LabConfig lab, NodeAddresses n) => new()
    {
        Id = NetworkPolicyId(n.Node.Name), Kind = StepKind.NetworkPolicy, Node = n.Node.Name,
        Summary = $"{EnumNames.Of(lab.Network.ServiceRules)} NetworkPolicy rules on {n.Node.Name} ({lab.NetworkPolicies.Length} policies)",
        DependsOn = [ServiceRulesId(n.Node.Name), .. lab.Pods.Select(p => PodId(p.Name))],
        Triggers = Triggers(("backend", EnumNames.Of(lab.Network.ServiceRules)),
            ("policies", string.Join(",", lab.NetworkPolicies.Select(p => $"{p.Namespace}/{p.Name}"))), ("digest", PolicyDigest(lab))),
    };

    /// <summary>What the policy rules depend on besides pod addresses: the policies, namespace labels and pod labels and ports.</summary>
    private static string PolicyDigest(LabConfig lab)
    {
        static string Rules(IEnumerable<PolicyRuleSpec> rules) => string.Join(";", rules.Select(r =>
            string.Join("|", r.Peers.Select(p => p.ToString())) + " on " + string.Join("|", r.Ports.Select(p => p.ToString()))));
        var json = string.Join("\n", [
            .. lab.NetworkPolicies.Select(p => $"{p.Id} {p.PodSelector} {string.Join(",", p.EffectiveTypes)} in {Rules(p.Ingress)} out {Rules(p.Egress)}"),
            .. lab.Namespaces.Select(n => $"ns {n.Name} {string.Join(",", n.Labels.Select(l => $"{l.Key}={l.Value}"))}"),
            .. lab.Pods.Select(p => $"pod {p.Namespace}/{p.Name} {p.Node} {p.Port} {p.PortName} {string.Join(",", p.Labels.Select(l => $"{l.Key}={l.Value}"))}")]);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(json)))[..16];
    }

    private static PlanStep MachineStep(LabConfig lab, NodeAddresses n) => new()
    {
        Id = MachineId(n.Node.Name), Kind = StepKind.Machine, Node = n.Node.Name,
        Summary = lab.Backend == Backend.Multipass
            ? $"VM {lab.Name}-{n.Node.Name} ({EnumNames.Of(n.Node.Role)}, {n.Node.Cpus} CPUs, {n.Node.Memory}, disk {n.Node.Disk}, Ubuntu {lab.Image})"
            : $"node namespace {lab.Name}-{n.Node.Name} ({n.UnderlayAddress} on the underlay)",
        Triggers = Triggers(("role", EnumNames.Of(n.Node.Role)), ("cpus", n.Node.Cpus.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("memory", n.Node.Memory.ToString()), ("disk", n.Node.Disk.ToString()), ("image", lab.Image)),
    };

    private static PlanStep CniStep(LabConfig lab, NodeAddresses n, AddressPlan addresses) => new()
    {
        Id = CniId(n.Node.Name), Kind = StepKind.Cni, Node = n.Node.Name,
        Summary = $"netlab-cni on {n.Node.Name}: pods in {n.PodSubnet} via {n.Gateway}, MTU {addresses.PodMtu}",
        DependsOn = [MachineId(n.Node.Name)],
        Triggers = Triggers(("podSubnet", n.PodSubnet.ToString()), ("mtu", addresses.PodMtu.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("fabric", EnumNames.Of(lab.Network.Fabric))),
    };

    /// <summary>A node's fabric depends on every machine: its tunnels and routes name the other nodes' addresses.</summary>
    private static PlanStep FabricStep(LabConfig lab, NodeAddresses n, AddressPlan addresses) => new()
    {
        Id = FabricId(n.Node.Name), Kind = StepKind.Fabric, Node = n.Node.Name,
        Summary = $"{EnumNames.Of(lab.Network.Fabric)} fabric on {n.Node.Name}",
        DependsOn = [.. addresses.Nodes.Select(o => MachineId(o.Node.Name))],
        Triggers = Triggers(("fabric", EnumNames.Of(lab.Network.Fabric)), ("vni", lab.Network.Vni.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("podSubnet", n.PodSubnet.ToString())),
    };

    private static PlanStep ServiceRulesStep(LabConfig lab, NodeAddresses n, ImmutableArray<string> dependsOn) => new()
    {
        Id = ServiceRulesId(n.Node.Name), Kind = StepKind.ServiceRules, Node = n.Node.Name,
        Summary = $"{EnumNames.Of(lab.Network.ServiceRules)} service rules on {n.Node.Name} ({lab.Services.Length} services)",
        DependsOn = dependsOn,
        Triggers = Triggers(("backend", EnumNames.Of(lab.Network.ServiceRules))),
    };

    private static ImmutableSortedDictionary<string, string> Triggers(params (string Key, string Value)[] pairs) =>
        pairs.ToImmutableSortedDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
}
