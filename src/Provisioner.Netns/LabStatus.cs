using System.Net;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Core.Validation;

namespace Provisioner.Netns;

public sealed record NodeStatus(string Name, string Role, string Namespace, bool Exists, IPAddress UnderlayAddress, string PodSubnet);

public sealed record PodStatus(string Name, string Node, string Namespace, bool Exists, string? Address, int? ServerPid);

public sealed record EndpointStatus(string Pod, string? Address, int Port, string Node);

public sealed record ServiceStatus(string Name, ServiceType Type, string? ClusterIP, IReadOnlyList<string> Ports, IReadOnlyList<EndpointStatus> Endpoints, string? Note)
{
    public string Namespace { get; init; } = "default";

    /// <summary>As <c>kubectl get svc</c> shows it: the LoadBalancer address (or &lt;pending&gt;), the external IPs, or null.</summary>
    public string? ExternalIP { get; init; }
}

/// <summary>What <c>netlab status</c> shows: the lab as the kernel has it, next to what the stack declares.</summary>
public sealed record LabStatus(IReadOnlyList<NodeStatus> Nodes, IReadOnlyList<PodStatus> Pods, IReadOnlyList<ServiceStatus> Services)
{
    /// <param name="maxServices">The first services only (<c>netlab up</c> shows 20 of 10k).</param>
    public static LabStatus Read(LabPlan plan, LabLayout layout, Func<string, string?> podAddress, Func<string, int?> serverPid, int maxServices = int.MaxValue)
    {
        podAddress = PodAddresses.OncePerPod(podAddress);
        var nodes = plan.Addresses.Nodes.Select(n => new NodeStatus(n.Node.Name, EnumNames.Of(n.Node.Role), layout.NodeNamespace(n.Node.Name),
            Namespaces.Exists(layout.NodeNamespace(n.Node.Name)), n.UnderlayAddress, n.PodSubnet.ToString())).ToList();
        var pods = plan.Lab.Pods.Select(p => new PodStatus(p.Name, p.Node, layout.PodNamespace(p.Name),
            Namespaces.Exists(layout.PodNamespace(p.Name)), podAddress(p.Name), serverPid(p.Name))).ToList();
        var services = plan.Addresses.Services.Take(maxServices).Select(s => new ServiceStatus(
            s.Spec.Name, s.Spec.Type, s.ClusterIP?.ToString() ?? (s.Spec.IsHeadless ? "None" : null),
            [.. s.Ports.Select(p => p.NodePort != 0 ? $"{p.Port}:{p.NodePort}/{p.Protocol}" : $"{p.Port}/{p.Protocol}")],
            [.. plan.Lab.Pods.Where(p => LabValidator.Selects(s.Spec, p))
                .SelectMany(p => s.Ports.Select(port => new EndpointStatus(p.Name, podAddress(p.Name), port.EffectiveTargetPort, p.Node)))],
            s.Spec.Type == ServiceType.ExternalName ? $"DNS only: CNAME {s.Spec.ExternalName}; no rules"
                : s.Spec.IsHeadless ? "headless: DNS only, no rules" : null)
        {
            Namespace = s.Spec.Namespace,
            ExternalIP = s.Spec.Type == ServiceType.LoadBalancer ? string.Join(",", [s.LoadBalancerIP?.ToString() ?? "<pending>", .. s.Spec.ExternalIPs])
                : s.Spec.ExternalIPs.IsEmpty ? null : string.Join(",", s.Spec.ExternalIPs),
        }).ToList();
        return new LabStatus(nodes, pods, services);
    }
}
