using System.Collections.Immutable;
using System.Net;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;

namespace Provisioner.Core.Policy;

/// <summary>One end of a connection, as a NetworkPolicy sees it (after Service DNAT: a pod, a node, or an address).</summary>
public abstract record PolicyEndpoint(IPAddress? Address)
{
    /// <summary>A pod; <see cref="Ports"/> are what its named ports resolve against (a lab pod's by default, a
    /// cluster pod's container ports when it comes from the Kubernetes API).</summary>
    public sealed record Pod(PodSpec Spec, IPAddress? PodAddress) : PolicyEndpoint(PodAddress)
    {
        public ImmutableArray<ServedPort> Ports { get; init; } = PodPorts.Served(Spec);

        public override string ToString() => Spec.Namespace == "default" ? Spec.Name : $"{Spec.Namespace}/{Spec.Name}";
    }

    /// <summary>A node's own network stack (kubelet probes, host processes): always allowed to and from its pods.</summary>
    public sealed record Node(string Name, IPAddress NodeAddress) : PolicyEndpoint(NodeAddress)
    {
        public override string ToString() => $"node {Name}";
    }

    public sealed record External(IPAddress ExternalAddress) : PolicyEndpoint(ExternalAddress)
    {
        public override string ToString() => ExternalAddress.ToString();
    }
}

/// <summary>A port a pod serves; <see cref="Name"/> is what a policy's named port resolves against.</summary>
public sealed record ServedPort(string? Name, int Number, TransportProtocol Protocol)
{
    public override string ToString() => $"{Number}/{Protocol}";
}

public static class PodPorts
{
    /// <summary>What the lab's pods serve: their HTTP port (TCP); the DNS pod CoreDNS's dns (UDP) and dns-tcp ports.</summary>
    public static ImmutableArray<ServedPort> Served(PodSpec pod) => ClusterDns.IsDnsPod(pod)
        ? [new ServedPort("dns", ClusterDns.Port, TransportProtocol.UDP), new ServedPort("dns-tcp", ClusterDns.Port, TransportProtocol.TCP)]
        : [new ServedPort(pod.PortName, pod.Port, TransportProtocol.TCP)];
}
