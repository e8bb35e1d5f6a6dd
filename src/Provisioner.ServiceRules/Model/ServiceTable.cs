namespace Provisioner.ServiceRules.Model;

public enum ServiceType { ClusterIP, NodePort, LoadBalancer, ExternalName }

public enum ServiceProtocol { TCP, UDP, SCTP }

public enum TrafficPolicy { Cluster, Local }

public enum SessionAffinity { None, ClientIP }

/// <summary>One port of a service. <see cref="Name"/> may be empty when the service has a single port.</summary>
public sealed record ServicePort(string Name, int Port, int TargetPort, ServiceProtocol Protocol = ServiceProtocol.TCP, int? NodePort = null);

/// <summary>
/// One backend of a service. <see cref="Ports"/> maps a service port name to the port this endpoint listens on
/// (the EndpointSlice shape); a port name missing from it uses the service port's <see cref="ServicePort.TargetPort"/>.
/// <see cref="Terminating"/>: not ready, but serving while it terminates; used only where no ready endpoint is left
/// (see <see cref="EndpointSelection"/>).
/// </summary>
public sealed record Endpoint(string Address, string? NodeName = null, bool Ready = true, IReadOnlyDictionary<string, int>? Ports = null, bool Terminating = false)
{
    public int PortFor(ServicePort port) =>
        Ports is not null && Ports.TryGetValue(port.Name, out var p) ? p : port.TargetPort;
}

/// <summary>
/// A Kubernetes Service as the rules need it. <see cref="ClusterIP"/> null or "None" is a headless service;
/// headless and ExternalName services are DNS-only and get no rules.
/// </summary>
public sealed record Service
{
    public const string Headless = "None";
    public const int DefaultAffinityTimeoutSeconds = 10800;

    public required string Namespace { get; init; }
    public required string Name { get; init; }
    public ServiceType Type { get; init; } = ServiceType.ClusterIP;
    public string? ClusterIP { get; init; }
    public IReadOnlyList<ServicePort> Ports { get; init; } = [];
    public IReadOnlyList<string> ExternalIPs { get; init; } = [];
    public IReadOnlyList<string> LoadBalancerIPs { get; init; } = [];
    public SessionAffinity SessionAffinity { get; init; } = SessionAffinity.None;
    public int SessionAffinityTimeoutSeconds { get; init; } = DefaultAffinityTimeoutSeconds;
    public TrafficPolicy ExternalTrafficPolicy { get; init; } = TrafficPolicy.Cluster;
    public TrafficPolicy InternalTrafficPolicy { get; init; } = TrafficPolicy.Cluster;
    public string? ExternalName { get; init; }
    public IReadOnlyList<Endpoint> Endpoints { get; init; } = [];

    public string Key => $"{Namespace}/{Name}";

    public bool IsHeadless => ClusterIP is null || ClusterIP == Headless;

    /// <summary>Headless and ExternalName services are answered by DNS alone: no kernel rules.</summary>
    public bool IsDnsOnly => Type == ServiceType.ExternalName || IsHeadless;

    public bool HasNodePorts => Type is ServiceType.NodePort or ServiceType.LoadBalancer;
}

/// <summary>The services of a cluster, as one immutable value. A later in-cluster proxy builds it from the API.</summary>
public sealed record ServiceTable(IReadOnlyList<Service> Services)
{
    public static ServiceTable Empty { get; } = new([]);

    /// <summary>A copy with <paramref name="service"/> added, or replacing the service of the same namespace/name.</summary>
    public ServiceTable WithService(Service service) =>
        new([.. Services.Where(s => s.Key != service.Key), service]);

    public ServiceTable WithoutService(string @namespace, string name) =>
        new([.. Services.Where(s => s.Key != $"{@namespace}/{name}")]);
}
