using System.Net;
using Provisioner.Core.Planning;
using Provisioner.Core.Validation;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Sources;
using CoreModel = Provisioner.Core.Model;

namespace Provisioner.StackRules;

/// <summary>
/// The service table of a stack's declared services: ClusterIPs and node ports from the address plan, endpoints from
/// the pods each selector matches (a pod without an address yet is not an endpoint). A later in-cluster proxy builds
/// the same table from the Kubernetes API instead.
/// </summary>
public static class StackServiceTable
{
    public static ServiceTable Build(LabPlan plan, Func<string, IPAddress?> podAddress)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var address = PodAddresses.OncePerPod(podAddress);
        return new([.. plan.Addresses.Services.Select(s => Service(plan, s, address))]);
    }

    /// <summary>
    /// The node as the rules see it: its address, the cluster's pod range (for masquerading) and the service range.
    /// On the OVS fabric pods share a bridge whose switching conntrack never sees (br_netfilter hooks Linux bridges
    /// only), so every ClusterIP connection is masqueraded to keep same-node replies on the node's stack.
    /// </summary>
    public static NodeContext Node(LabPlan plan, string node, IPAddress nodeAddress) =>
        new(node, [nodeAddress.ToString()], plan.Addresses.PodCidr.ToString(), plan.Addresses.ServiceCidr.ToString(),
            plan.Lab.Network.NodePortMin, plan.Lab.Network.NodePortMax,
            MasqueradeAll: plan.Lab.Network.Fabric == CoreModel.FabricKind.OvsVxlan);

    public static RuleBackend Backend(CoreModel.RuleBackend backend) => backend switch
    {
        CoreModel.RuleBackend.Nftables => RuleBackend.Nftables,
        CoreModel.RuleBackend.Iptables => RuleBackend.Iptables,
        _ => throw new ArgumentOutOfRangeException(nameof(backend), backend, null),
    };

    // The stack's enums and the engine's, value by value (both use Kubernetes' spellings).
    private static ServiceType Of(CoreModel.ServiceType type) => type switch
    {
        CoreModel.ServiceType.ClusterIP => ServiceType.ClusterIP,
        CoreModel.ServiceType.NodePort => ServiceType.NodePort,
        CoreModel.ServiceType.LoadBalancer => ServiceType.LoadBalancer,
        CoreModel.ServiceType.ExternalName => ServiceType.ExternalName,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    private static ServiceProtocol Of(CoreModel.TransportProtocol protocol) => protocol switch
    {
        CoreModel.TransportProtocol.TCP => ServiceProtocol.TCP,
        CoreModel.TransportProtocol.UDP => ServiceProtocol.UDP,
        CoreModel.TransportProtocol.SCTP => ServiceProtocol.SCTP,
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, null),
    };

    private static SessionAffinity Of(CoreModel.SessionAffinity affinity) => affinity switch
    {
        CoreModel.SessionAffinity.None => SessionAffinity.None,
        CoreModel.SessionAffinity.ClientIP => SessionAffinity.ClientIP,
        _ => throw new ArgumentOutOfRangeException(nameof(affinity), affinity, null),
    };

    private static TrafficPolicy Of(CoreModel.TrafficPolicy policy) => policy switch
    {
        CoreModel.TrafficPolicy.Cluster => TrafficPolicy.Cluster,
        CoreModel.TrafficPolicy.Local => TrafficPolicy.Local,
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, null),
    };

    private static Service Service(LabPlan plan, PlannedService planned, Func<string, IPAddress?> podAddress)
    {
        var spec = planned.Spec;
        return new Service
        {
            Namespace = spec.Namespace,
            Name = spec.Name,
            Type = Of(spec.Type),
            ClusterIP = spec.IsHeadless ? ServiceRules.Model.Service.Headless : planned.ClusterIP?.ToString(),
            Ports = [.. planned.Ports.Select(p => new ServicePort(p.Name ?? "", p.Port, p.EffectiveTargetPort, Of(p.Protocol),
                p.NodePort == 0 ? null : p.NodePort))],
            ExternalIPs = [.. spec.ExternalIPs],
            LoadBalancerIPs = planned.LoadBalancerIP is { } allocated ? [allocated.ToString()] : spec.LoadBalancerIP is { } lb ? [lb] : [],
            SessionAffinity = Of(spec.SessionAffinity),
            SessionAffinityTimeoutSeconds = spec.SessionAffinityTimeoutSeconds,
            ExternalTrafficPolicy = Of(spec.ExternalTrafficPolicy),
            InternalTrafficPolicy = Of(spec.InternalTrafficPolicy),
            ExternalName = spec.ExternalName,
            Endpoints = [.. plan.Lab.Pods
                .Where(pod => LabValidator.Selects(spec, pod))
                .Select(pod => (pod, address: podAddress(pod.Name)))
                .Where(e => e.address is not null)
                .Select(e => new Endpoint(e.address!.ToString(), e.pod.Node))],
        };
    }
}
