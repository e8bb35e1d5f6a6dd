using System.Collections.Immutable;
using k8s;
using k8s.Models;

namespace Provisioner.VmLab.Cluster;

/// <summary>A pod as the API server has it.</summary>
public sealed record PodState(string Name, string Namespace, string? Node, string? Address, string Phase, bool Ready,
    ImmutableSortedDictionary<string, string> Labels, string? Waiting)
{
    /// <summary>E.g. <c>Running, ready</c>, <c>Pending (ImagePullBackOff)</c>.</summary>
    public string Describe() => Phase + (Ready ? ", ready" : Waiting is null ? ", not ready" : $" ({Waiting})");
}

/// <summary>A Kubernetes node: is it Ready, its InternalIP and pod CIDR.</summary>
public sealed record NodeState(string Name, bool Ready, string? InternalIP, string? PodCidr, string? KubeletVersion);

/// <summary>A service and its ports as <c>port[:nodePort]/protocol</c>.</summary>
public sealed record ServiceState(string Namespace, string Name, string Type, string? ClusterIP, ImmutableArray<string> Ports, string? ExternalName);

/// <summary>An endpoint of a service from its EndpointSlices: the pod's address, its name and whether it is ready.</summary>
public sealed record EndpointState(string Service, string Namespace, string Address, string? Pod, bool Ready, ImmutableArray<int> Ports);

/// <summary>Parses <c>kubectl get ... -o json</c> with KubernetesClient's models.</summary>
public static class ClusterState
{
    public static ImmutableArray<PodState> Pods(string json) =>
        [.. KubernetesJson.Deserialize<V1PodList>(json).Items.Select(p => new PodState(
            p.Metadata.Name, p.Metadata.NamespaceProperty ?? "default", p.Spec?.NodeName, p.Status?.PodIP, p.Status?.Phase ?? "Unknown",
            p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") ?? false,
            (p.Metadata.Labels ?? new Dictionary<string, string>()).ToImmutableSortedDictionary(StringComparer.Ordinal),
            p.Status?.ContainerStatuses?.Select(s => s.State?.Waiting?.Reason ?? s.State?.Terminated?.Reason).FirstOrDefault(r => r is not null)))];

    public static ImmutableArray<NodeState> Nodes(string json) =>
        [.. KubernetesJson.Deserialize<V1NodeList>(json).Items.Select(n => new NodeState(
            n.Metadata.Name,
            n.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") ?? false,
            n.Status?.Addresses?.FirstOrDefault(a => a.Type == "InternalIP")?.Address,
            n.Spec?.PodCIDR, n.Status?.NodeInfo?.KubeletVersion))];

    public static ImmutableArray<ServiceState> Services(string json) =>
        [.. KubernetesJson.Deserialize<V1ServiceList>(json).Items.Select(s => new ServiceState(
            s.Metadata.NamespaceProperty ?? "default", s.Metadata.Name, s.Spec?.Type ?? "ClusterIP", s.Spec?.ClusterIP,
            [.. (s.Spec?.Ports ?? []).Select(p => p.NodePort is { } n ? $"{p.Port}:{n}/{p.Protocol}" : $"{p.Port}/{p.Protocol}")],
            s.Spec?.ExternalName))];

    public static ImmutableArray<EndpointState> Endpoints(string json) =>
        [.. KubernetesJson.Deserialize<V1EndpointSliceList>(json).Items
            .Where(s => s.Metadata.Labels?.ContainsKey("kubernetes.io/service-name") == true)
            .SelectMany(s => (s.Endpoints ?? []).SelectMany(e => e.Addresses.Select(a => new EndpointState(
                s.Metadata.Labels["kubernetes.io/service-name"], s.Metadata.NamespaceProperty ?? "default", a,
                e.TargetRef?.Kind == "Pod" ? e.TargetRef.Name : null, e.Conditions?.Ready ?? true,
                [.. (s.Ports ?? []).Where(p => p.Port is not null).Select(p => p.Port!.Value)]))))];
}
