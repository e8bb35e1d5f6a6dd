using System.Globalization;
using System.Net;
using System.Net.Sockets;
using k8s.Models;
using Provisioner.ServiceRules.Model;
using Service = Provisioner.ServiceRules.Model.Service;
using ServicePort = Provisioner.ServiceRules.Model.ServicePort;
using Provisioner.Errors;

namespace Provisioner.Proxy.Tracking;

/// <summary>
/// Turns API objects into the rules' model: a V1Service and the EndpointSlices labelled with its name become one
/// <see cref="Service"/> with its endpoints. Anything the rules cannot express raises <see cref="SkippedObjectException"/>
/// naming the field, so the tracker skips that service (and logs why) without blocking the others.
/// </summary>
internal static class ApiConversion
{
    /// <summary>The label an EndpointSlice names its Service with.</summary>
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    public static string KeyOf(V1ObjectMeta meta) => $"{meta.NamespaceProperty}/{meta.Name}";

    /// <summary>The Service an EndpointSlice belongs to ("namespace/name"), or null when it has no service-name label.</summary>
    public static string? ServiceKeyOf(V1EndpointSlice slice) =>
        slice.Metadata.Labels?.TryGetValue(ServiceNameLabel, out var name) == true && !string.IsNullOrEmpty(name)
            ? $"{slice.Metadata.NamespaceProperty}/{name}" : null;

    public static Service ToService(V1Service api, IEnumerable<V1EndpointSlice> slices)
    {
        var spec = api.Spec ?? throw new SkippedObjectException("spec", "the Service has no spec");
        var type = Parse<ServiceType>(spec.Type ?? "ClusterIP", "spec.type");
        var service = new Service
        {
            Namespace = api.Metadata.NamespaceProperty ?? "default",
            Name = api.Metadata.Name,
            Type = type,
            ClusterIP = ClusterIPv4(spec),
            Ports = [.. (spec.Ports ?? []).Select((p, i) => Port(p, i, type))],
            ExternalIPs = [.. spec.ExternalIPs ?? []],
            LoadBalancerIPs = type == ServiceType.LoadBalancer
                ? [.. (api.Status?.LoadBalancer?.Ingress ?? []).Select(i => i.Ip).Where(ip => !string.IsNullOrEmpty(ip))]
                : [],
            SessionAffinity = Parse<SessionAffinity>(spec.SessionAffinity ?? "None", "spec.sessionAffinity"),
            SessionAffinityTimeoutSeconds = spec.SessionAffinityConfig?.ClientIP?.TimeoutSeconds ?? Service.DefaultAffinityTimeoutSeconds,
            ExternalTrafficPolicy = Policy(spec.ExternalTrafficPolicy, "spec.externalTrafficPolicy"),
            InternalTrafficPolicy = Policy(spec.InternalTrafficPolicy, "spec.internalTrafficPolicy"),
            ExternalName = spec.ExternalName,
        };
        return service.IsDnsOnly ? service : service with { Endpoints = Endpoints(service, slices) };
    }

    /// <summary>
    /// The endpoints of every IPv4 slice, once per address: the ready ones, and the serving-but-terminating ones marked
    /// <see cref="Endpoint.Terminating"/> (the rules use those only where no ready endpoint is left, cluster-wide or,
    /// for a Local policy, on the node: <see cref="EndpointSelection"/>). Endpoints neither ready nor serving are left out.
    /// </summary>
    internal static IReadOnlyList<Endpoint> Endpoints(Service service, IEnumerable<V1EndpointSlice> slices)
    {
        var candidates = new List<Endpoint>();
        foreach (var slice in slices.Where(s => s.AddressType == "IPv4").OrderBy(s => s.Metadata.Name, StringComparer.Ordinal))
        {
            var ports = SlicePorts(service, slice);
            foreach (var endpoint in slice.Endpoints ?? [])
            {
                var address = endpoint.Addresses?.FirstOrDefault();
                if (address is null || !IPAddress.TryParse(address, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork)
                    continue;
                var ready = endpoint.Conditions?.Ready ?? true;
                var serving = endpoint.Conditions?.Serving ?? ready;
                var terminating = endpoint.Conditions?.Terminating ?? false;
                if (ready || (serving && terminating))
                    candidates.Add(new Endpoint(address, endpoint.NodeName, Ready: ready, ports, Terminating: !ready));
            }
        }
        return [.. candidates.OrderByDescending(e => e.Ready).DistinctBy(e => e.Address)];
    }

    /// <summary>The port each service port name maps to in this slice (EndpointSlice ports carry the resolved targetPort).</summary>
    private static Dictionary<string, int> SlicePorts(Service service, V1EndpointSlice slice)
    {
        var names = service.Ports.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        return (slice.Ports ?? [])
            .Where(p => p.Port is > 0 and <= 65535 && names.Contains(p.Name ?? ""))
            .GroupBy(p => p.Name ?? "", StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Port!.Value, StringComparer.Ordinal);
    }

    private static string ClusterIPv4(V1ServiceSpec spec)
    {
        if (spec.ClusterIP is null or "" or Service.Headless)
            return Service.Headless;
        var ips = spec.ClusterIPs is { Count: > 0 } list ? list : [spec.ClusterIP];
        return ips.FirstOrDefault(ip => IPAddress.TryParse(ip, out var a) && a.AddressFamily == AddressFamily.InterNetwork)
            ?? throw new SkippedObjectException("spec.clusterIPs", $"{string.Join(",", ips)} has no IPv4 address (netlab programs IPv4 only)");
    }

    private static ServicePort Port(V1ServicePort port, int index, ServiceType type)
    {
        var protocol = Parse<ServiceProtocol>(port.Protocol ?? "TCP", $"spec.ports[{index}].protocol");
        // A named targetPort is resolved per pod by the EndpointSlice controller; the slice's port is what we use.
        var target = int.TryParse(port.TargetPort?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : port.Port;
        var nodePort = type is ServiceType.NodePort or ServiceType.LoadBalancer && port.NodePort is > 0 ? port.NodePort : null;
        return new ServicePort(port.Name ?? "", port.Port, target, protocol, nodePort);
    }

    private static TrafficPolicy Policy(string? text, string field) => text is null or "" ? TrafficPolicy.Cluster : Parse<TrafficPolicy>(text, field);

    private static T Parse<T>(string text, string field) where T : struct, Enum =>
        Enum.TryParse<T>(text, ignoreCase: false, out var value) && Enum.IsDefined(value)
            ? value
            : throw new SkippedObjectException(field, $"'{text}' is not one of {string.Join(", ", Enum.GetNames<T>())}");
}

/// <summary>An API object netlab-proxy cannot program: the field and why. The object is skipped, the others go on.</summary>
public sealed class SkippedObjectException : NetlabException
{
    public SkippedObjectException() { }

    public SkippedObjectException(string message) : base(message) { }

    public SkippedObjectException(string message, Exception inner) : base(message, inner) { }

    public SkippedObjectException(string field, string reason) : base($"{field}: {reason}") => Field = field;

    public string Field { get; } = "";
}
