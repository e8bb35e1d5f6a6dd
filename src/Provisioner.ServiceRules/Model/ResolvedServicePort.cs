using Provisioner.ServiceRules.Naming;

namespace Provisioner.ServiceRules.Model;

/// <summary>A ready endpoint of one service port, with the port it listens on and its kube-proxy-style chain. The chain
/// name (a SHA-256) is computed on first use: the iptables backend names a chain per endpoint, nftables never asks.
/// A class, not a record: nothing can copy it <c>with</c> another address and keep the first one's cached chain.</summary>
public sealed class EndpointTarget(string address, int port, string? nodeName, string portName, string protocol)
{
    private string? _chain;

    public string Address { get; } = address;

    public int Port { get; } = port;

    public string? NodeName { get; } = nodeName;

    public string HostPort { get; } = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{address}:{port}");

    public string Chain => _chain ??= ChainNames.EndpointChain(portName, protocol, HostPort);
}

/// <summary>
/// One service port resolved for one node: the frontends it answers on and the endpoints each path may reach. Both
/// backends and the explain view compile from this, so they agree on names and on which endpoints are eligible.
/// <see cref="PortName"/> is kube-proxy's "namespace/name:port"; <see cref="Protocol"/> is lower case (tcp, udp, sctp).
/// </summary>
public sealed record ResolvedServicePort(
    Service Service,
    ServicePort Port,
    string PortName,
    string Protocol,
    IReadOnlyList<EndpointTarget> AllEndpoints,
    IReadOnlyList<EndpointTarget> LocalEndpoints)
{
    // hashed once per port (the compilers ask for the names several times), as a value so that record equality holds;
    // PortName and Protocol are never changed by `with`. Most ports have no SVL or EXT chain: those are joined on use.
    public string ServiceChain { get; } = ChainNames.ServiceChain(PortName, Protocol);
    public string LocalServiceChain => string.Concat(ChainNames.LocalServiceChainPrefix, HashOfName);
    public string ExternalChain => string.Concat(ChainNames.ExternalChainPrefix, HashOfName);
    private ReadOnlySpan<char> HashOfName => ServiceChain.AsSpan(ChainNames.ServiceChainPrefix.Length);
    public string ClusterIP => Service.ClusterIP!;
    public bool InternalLocal => Service.InternalTrafficPolicy == TrafficPolicy.Local;
    public bool ExternalLocal => Service.ExternalTrafficPolicy == TrafficPolicy.Local;
    public bool Affinity => Service.SessionAffinity == SessionAffinity.ClientIP;

    /// <summary>Endpoints a packet to the cluster IP may reach (internalTrafficPolicy).</summary>
    public IReadOnlyList<EndpointTarget> InternalEndpoints => InternalLocal ? LocalEndpoints : AllEndpoints;

    /// <summary>Endpoints a packet to a node port, external or load-balancer IP may reach (externalTrafficPolicy).</summary>
    public IReadOnlyList<EndpointTarget> ExternalEndpoints => ExternalLocal ? LocalEndpoints : AllEndpoints;

    /// <summary>Every endpoint some path may reach: the cluster-wide ones and this node's (a Local policy's terminating
    /// fallback may be one of this node's that the cluster-wide choice leaves out), one per endpoint chain: the same address
    /// listed twice (e.g. under two node names) is one chain.</summary>
    public IReadOnlyList<EndpointTarget> ReachableEndpoints => ReferenceEquals(AllEndpoints, LocalEndpoints)
        ? AllEndpoints
        : [.. AllEndpoints.Concat(LocalEndpoints).DistinctBy(e => e.HostPort)];

    public IReadOnlyList<string> ExternalAddresses => [.. Service.ExternalIPs, .. Service.LoadBalancerIPs];

    public bool HasExternal => Port.NodePort is not null || Service.ExternalIPs.Count > 0 || Service.LoadBalancerIPs.Count > 0;
}

/// <summary>Resolves a validated table for a node: service ports with their ready endpoints, and the DNS-only services.</summary>
public static class ServiceResolver
{
    public static (IReadOnlyList<ResolvedServicePort> Ports, IReadOnlyList<Service> DnsOnly) Resolve(ServiceTable table, NodeContext node)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(node);
        var ports = new List<ResolvedServicePort>();
        var dnsOnly = new List<Service>();
        foreach (var service in table.Services.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            if (service.IsDnsOnly)
                dnsOnly.Add(service);
            else
                ports.AddRange(ResolveService(service, node));
        }
        return (ports, dnsOnly);
    }

    /// <summary>The ports of one service with their ready endpoints (none for a DNS-only service). A service's ports
    /// depend on nothing but the service and the node, which is what lets the engine compile services one at a time.</summary>
    public static IReadOnlyList<ResolvedServicePort> ResolveService(Service service, NodeContext node)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(node);
        if (service.IsDnsOnly)
            return [];
        var ports = new List<ResolvedServicePort>(service.Ports.Count);
        foreach (var port in service.Ports)
        {
            var portName = service.Key + (port.Name.Length == 0 ? "" : ":" + port.Name);
            var protocol = LowerCase(port.Protocol);
            var targets = new Dictionary<string, EndpointTarget>(StringComparer.Ordinal); // a local endpoint is a cluster one too: hashed once
            List<EndpointTarget> Targets(IEnumerable<Endpoint> chosen)
            {
                var list = new List<EndpointTarget>(service.Endpoints.Count);
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var e in chosen)
                {
                    var target = new EndpointTarget(e.Address, e.PortFor(port), e.NodeName, portName, protocol);
                    if (!seen.Add(target.HostPort))
                        continue;
                    if (targets.TryGetValue(target.HostPort, out var known) && known.NodeName == target.NodeName)
                        target = known;
                    else
                        targets[target.HostPort] = target;
                    list.Add(target);
                }
                list.Sort((a, b) => string.CompareOrdinal(a.HostPort, b.HostPort));
                return list;
            }
            var endpoints = Targets(EndpointSelection.Cluster(service.Endpoints));
            var local = EndpointSelection.AllOn(service.Endpoints, node.NodeName) ? endpoints : Targets(EndpointSelection.Local(service.Endpoints, node.NodeName));
            ports.Add(new ResolvedServicePort(service, port, portName, protocol, endpoints, local));
        }
        return ports;
    }

    /// <summary>kube-proxy's lower-case protocol, without formatting the enum per port.</summary>
    private static string LowerCase(ServiceProtocol protocol) => protocol switch
    {
        ServiceProtocol.TCP => "tcp",
        ServiceProtocol.UDP => "udp",
        ServiceProtocol.SCTP => "sctp",
        _ => protocol.ToString().ToLowerInvariant(),
    };
}
