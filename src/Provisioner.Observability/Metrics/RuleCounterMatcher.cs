using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Naming;

namespace Provisioner.Observability.Metrics;

/// <summary>
/// A frontend of a service port (its cluster IP, an external or load-balancer IP, its node port) and the counters of
/// the dispatch rule that sends new connections to it. <see cref="Rule"/> names that rule as the kernel lists it.
/// </summary>
public sealed record ServiceCounter(string Node, string Service, string Frontend, string Rule, long Packets, long Bytes);

/// <summary>The DNAT rule (or map element) that chose one endpoint, with its counters: the endpoint's hits.</summary>
public sealed record EndpointCounter(string Node, string Service, string Endpoint, string Rule, long Packets, long Bytes);

/// <summary>
/// Maps the kernel's counted rules back to services and endpoints through the names the rules engine derives (chain
/// names from <see cref="ChainNames"/>, map keys as <c>NftCompiler</c> writes them), so a metric's labels point at the
/// same rule as <c>netlab explain</c>. nat rules see only the first packet of each connection: their packets are
/// new connections, their bytes those first packets' bytes.
/// </summary>
public static class RuleCounterMatcher
{
    public static (IReadOnlyList<ServiceCounter> Services, IReadOnlyList<EndpointCounter> Endpoints) FromIptables(NodeTarget node, IReadOnlyList<CountedRule> rules)
    {
        var dispatch = new Dictionary<string, ResolvedServicePort>(StringComparer.Ordinal);
        var endpoints = new Dictionary<string, (ResolvedServicePort Port, EndpointTarget Endpoint)>(StringComparer.Ordinal);
        foreach (var port in node.Ports)
        {
            dispatch[port.ServiceChain] = dispatch[port.LocalServiceChain] = dispatch[port.ExternalChain] = port;
            foreach (var endpoint in port.ReachableEndpoints)
                endpoints[endpoint.Chain] = (port, endpoint);
        }
        var services = new List<ServiceCounter>();
        var hits = new List<EndpointCounter>();
        foreach (var rule in rules.Where(r => r.Table == "nat"))
        {
            if ((rule.Chain == ChainNames.Services || rule.Chain == ChainNames.NodePorts) && rule.Target is { } target && dispatch.TryGetValue(target, out var port))
            {
                var frontend = rule.Chain == ChainNames.NodePorts ? "node port"
                    : rule.Comment is { } c && c.StartsWith(port.PortName + " ", StringComparison.Ordinal) ? c[(port.PortName.Length + 1)..] : "cluster IP";
                services.Add(new ServiceCounter(node.Name, port.PortName, frontend, rule.Rule, rule.Packets, rule.Bytes));
            }
            else if (rule.Target == "DNAT" && endpoints.TryGetValue(rule.Chain, out var ep))
                hits.Add(new EndpointCounter(node.Name, ep.Port.PortName, ep.Endpoint.HostPort, rule.Rule, rule.Packets, rule.Bytes));
        }
        return (services, hits);
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
