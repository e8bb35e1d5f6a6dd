using System.Collections.Immutable;

namespace Provisioner.Core.Model;

/// <summary>A lab pod: on the netns backend a namespace running a tiny HTTP server that answers with its name.</summary>
public sealed record PodSpec
{
    public required string Name { get; init; }
    public required string Node { get; init; }

    /// <summary>The Kubernetes namespace: a Service selects only pods of its own; it sets the pod's DNS search path.</summary>
    public string Namespace { get; init; } = "default";

    /// <summary>
    /// With <see cref="Subdomain"/> naming a headless Service of the pod's namespace, the pod's endpoint is
    /// <c>hostname.subdomain.ns.svc.zone</c> (as a StatefulSet's pods are).
    /// </summary>
    public string? Hostname { get; init; }

    public string? Subdomain { get; init; }

    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>The port its HTTP server listens on.</summary>
    public int Port { get; init; } = 8080;

    /// <summary>The name of that container port (a NetworkPolicy's named port resolves to it, per pod).</summary>
    public string? PortName { get; init; }
}

/// <summary>A declared lab Service; endpoints are the pods its selector matches.</summary>
public sealed record ServiceSpec
{
    public required string Name { get; init; }
    public string Namespace { get; init; } = "default";
    public ServiceType Type { get; init; } = ServiceType.ClusterIP;

    /// <summary>Null: allocated from the service range; <c>None</c>: headless.</summary>
    public string? ClusterIP { get; init; }

    public ImmutableSortedDictionary<string, string> Selector { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableArray<ServicePortSpec> Ports { get; init; } = [];
    public ImmutableArray<string> ExternalIPs { get; init; } = [];
    public string? LoadBalancerIP { get; init; }
    public SessionAffinity SessionAffinity { get; init; } = SessionAffinity.None;
    public int SessionAffinityTimeoutSeconds { get; init; } = 10800;
    public TrafficPolicy ExternalTrafficPolicy { get; init; } = TrafficPolicy.Cluster;
    public TrafficPolicy InternalTrafficPolicy { get; init; } = TrafficPolicy.Cluster;
    public string? ExternalName { get; init; }

    public bool IsHeadless => string.Equals(ClusterIP, "None", StringComparison.OrdinalIgnoreCase);
}

public sealed record ServicePortSpec
{
    public string? Name { get; init; }
    public required int Port { get; init; }

    /// <summary>0 means the same as <see cref="Port"/>.</summary>
    public int TargetPort { get; init; }

    public TransportProtocol Protocol { get; init; } = TransportProtocol.TCP;

    /// <summary>0 means allocated from the node-port range (NodePort and LoadBalancer only).</summary>
    public int NodePort { get; init; }

    public int EffectiveTargetPort => TargetPort == 0 ? Port : TargetPort;
}
