using Provisioner.ServiceRules.Model;

namespace Provisioner.Observability.Metrics;

/// <summary>
/// A frontend of a service port (its cluster IP, an external or load-balancer IP, its node port) and the counters of
/// the dispatch rule that sends new connections to it. <see cref="Rule"/> names that rule as the kernel lists it.
/// </summary>
public sealed record ServiceCounter(string Node, string Service, string Frontend, string Rule, long Packets, long Bytes);

/// <summary>The DNAT rule (or map element) that chose one endpoint, with its counters: the endpoint's hits.</summary>
public sealed record EndpointCounter(string Node, string Service, string Endpoint, string Rule, long Packets, long Bytes);

/// <summary>
/// Maps the kernel's counted rules back to services and endpoints, so a metric's labels point at the same rule as
/// <c>netlab explain</c>. nat rules see only the first packet of each connection: their packets are new connections,
/// their bytes those first packets' bytes.
/// iptables needs nothing but the rules (the node mode has no stack or API to ask): a dispatch rule is a rule of a
/// dispatch chain (<c>NETLAB-SERVICES</c>, <c>NETLAB-NODEPORTS</c>, or however those are split) that jumps to a
/// service's own <c>NETLAB-SVC/SVL/EXT-</c> chain, and its comment, which the rules engine writes as
/// "<c>namespace/name:port FRONTEND</c>" (a node port's is the port name alone), names the service and the frontend;
/// an endpoint is the DNAT rule of a <c>NETLAB-SEP-</c> chain, commented with the port name, its target the endpoint.
/// nftables map elements are matched by their keys (<c>NftCompiler</c>'s), which needs the node's resolved ports.
/// </summary>
public static class RuleCounterMatcher
{
    private static readonly string[] ServiceChainPrefixes = ["NETLAB-SVC-", "NETLAB-SVL-", "NETLAB-EXT-"];
    private const string EndpointChainPrefix = "NETLAB-SEP-";
    private static readonly string[] Frontends = ["cluster IP", "external IP", "loadbalancer IP"];

    public static (IReadOnlyList<ServiceCounter> Services, IReadOnlyList<EndpointCounter> Endpoints) FromIptables(NodeTarget node, IReadOnlyList<CountedRule> rules)
    {
        var services = new List<ServiceCounter>();
        var hits = new List<EndpointCounter>();
        foreach (var rule in rules.Where(r => r.Table == "nat"))
        {
            if (IsServiceChain(rule.Target) && !IsServiceChain(rule.Chain) && !rule.Chain.StartsWith(EndpointChainPrefix, StringComparison.Ordinal)
                && Dispatch(rule.Comment) is var (service, frontend))
                services.Add(new ServiceCounter(node.Name, service, frontend, rule.Rule, rule.Packets, rule.Bytes));
            else if (rule.Target == "DNAT" && rule.Chain.StartsWith(EndpointChainPrefix, StringComparison.Ordinal) && rule.Comment is { Length: > 0 } port
                     && rule.DnatTo is { } endpoint)
                hits.Add(new EndpointCounter(node.Name, port, endpoint, rule.Rule, rule.Packets, rule.Bytes));
        }
        return (services, hits);
    }

    private static bool IsServiceChain(string? chain) =>
        chain is not null && ServiceChainPrefixes.Any(p => chain.StartsWith(p, StringComparison.Ordinal));

    /// <summary>"default/web:http cluster IP" is (default/web:http, cluster IP); "default/web:http" alone is a node port's.</summary>
    private static (string Service, string Frontend)? Dispatch(string? comment)
    {
        if (comment is null || comment.Length == 0)
            return null;
        var space = comment.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0)
            return (comment, "node port");
        var frontend = comment[(space + 1)..];
        return Frontends.Contains(frontend, StringComparer.Ordinal) ? (comment[..space], frontend) : null;
    }

    public static (IReadOnlyList<ServiceCounter> Services, IReadOnlyList<EndpointCounter> Endpoints) FromNftables(NodeTarget node, IReadOnlyList<CountedElement> elements)
    {
        var frontends = new Dictionary<string, (ResolvedServicePort Port, string Frontend)>(StringComparer.Ordinal);
        foreach (var port in node.Ports)
        {
            frontends[$"{port.ClusterIP} . {port.Protocol} . {port.Port.Port}"] = (port, "cluster IP");
            foreach (var address in port.Service.ExternalIPs)
                frontends.TryAdd($"{address} . {port.Protocol} . {port.Port.Port}", (port, "external IP"));
            foreach (var address in port.Service.LoadBalancerIPs)
                frontends.TryAdd($"{address} . {port.Protocol} . {port.Port.Port}", (port, "loadbalancer IP"));
            if (port.Port.NodePort is { } nodePort)
                frontends[$"{port.Protocol} . {nodePort}"] = (port, "node port");
        }
        var services = new List<ServiceCounter>();
        var hits = new List<EndpointCounter>();
        foreach (var e in elements)
        {
            if (e.Map is "service-ips" or "service-nodeports" && frontends.TryGetValue(e.Key, out var f))
                services.Add(new ServiceCounter(node.Name, f.Port.PortName, f.Frontend, $"{e.Map} {e.Key}", e.Packets, e.Bytes));
            else if (e.Map is "service-endpoints" or "nodeport-endpoints" && e.Value is { } value && e.Key.LastIndexOf(" . ", StringComparison.Ordinal) is var dot and > 0
                     && frontends.TryGetValue(e.Key[..dot], out var owner))
                hits.Add(new EndpointCounter(node.Name, owner.Port.PortName, value.Replace(" . ", ":", StringComparison.Ordinal), $"{e.Map} {e.Key}", e.Packets, e.Bytes));
        }
        return (services, hits);
    }
}
