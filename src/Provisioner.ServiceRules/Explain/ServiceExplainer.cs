using System.Globalization;
using System.Text;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Validation;

namespace Provisioner.ServiceRules.Explain;

/// <summary>
/// For learners: the path a packet to a service takes through the rules, chain by chain, with the exact rule text a
/// learner finds in <c>iptables-save</c> or <c>nft list table ip netlab</c>, and each endpoint's probability.
/// </summary>
public static class ServiceExplainer
{
    public static string Explain(ServiceTable table, NodeContext node, string @namespace, string name,
        string? portName = null, RuleBackend backend = RuleBackend.Iptables)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(node);
        ServiceTableValidator.ThrowIfInvalid(table, node);
        var service = table.Services.SingleOrDefault(s => s.Namespace == @namespace && s.Name == name)
            ?? throw new ArgumentException($"there is no service {@namespace}/{name} in the table", nameof(name));
        var text = new StringBuilder();
        if (service.IsDnsOnly)
        {
            var why = service.Type == ServiceType.ExternalName
                ? $"an ExternalName service (a DNS CNAME to {service.ExternalName})"
                : "headless (clusterIP: None): DNS returns the endpoint addresses themselves";
            return text.Append(CultureInfo.InvariantCulture, $"{service.Key} is {why}. It is DNS-only: no iptables or nftables rules exist for it.\n").ToString();
        }
        var (ports, _) = ServiceResolver.Resolve(table, node);
        var selected = ports.Where(p => p.Service.Key == service.Key && (portName is null || p.Port.Name == portName)).ToList();
        if (selected.Count == 0)
            throw new ArgumentException($"service {service.Key} has no port named '{portName}'", nameof(portName));
        foreach (var port in selected)
        {
            Header(text, port, node);
            if (backend == RuleBackend.Nftables)
                NftExplainer.Explain(text, port, Nftables.NftCompiler.Compile(table, node));
            else
                IptablesExplainer.Explain(text, port, Iptables.IptablesCompiler.Compile(table, node));
            text.Append('\n');
        }
        return text.ToString();
    }

    private static void Header(StringBuilder text, ResolvedServicePort port, NodeContext node)
    {
        var s = port.Service;
        text.Append(CultureInfo.InvariantCulture, $"{port.PortName}: {s.Type} {s.ClusterIP} port {port.Port.Port}/{port.Protocol} -> target port {port.Port.TargetPort}, seen from node {node.NodeName}\n");
        var affinity = port.Affinity ? $" ({s.SessionAffinityTimeoutSeconds}s)" : "";
        text.Append(CultureInfo.InvariantCulture, $"  {port.AllEndpoints.Count} ready endpoint(s), {port.LocalEndpoints.Count} on this node; internalTrafficPolicy {s.InternalTrafficPolicy}, externalTrafficPolicy {s.ExternalTrafficPolicy}, sessionAffinity {s.SessionAffinity}{affinity}\n");
        foreach (var endpoint in port.AllEndpoints)
            text.Append(CultureInfo.InvariantCulture, $"    endpoint {endpoint.HostPort} on {endpoint.NodeName ?? "(unknown node)"}\n");
    }

    internal static string Share(int count) => count == 0 ? "-" : (100.0 / count).ToString("0.0", CultureInfo.InvariantCulture) + "%";
}
