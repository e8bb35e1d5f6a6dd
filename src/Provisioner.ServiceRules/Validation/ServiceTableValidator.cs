using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Provisioner.ServiceRules.Model;

namespace Provisioner.ServiceRules.Validation;

/// <summary>Checks a service table against a node before any rule is compiled; reports every problem at once.</summary>
public static partial class ServiceTableValidator
{
    public static IReadOnlyList<RuleProblem> Validate(ServiceTable table, NodeContext node)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(node);
        var problems = new List<RuleProblem>();
        var serviceCidr = ValidateNode(node, problems);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var frontends = new Dictionary<string, string>(StringComparer.Ordinal); // "ip/proto/port" -> owner
        var nodePorts = new Dictionary<string, string>(StringComparer.Ordinal);  // "proto/nodePort" -> owner
        foreach (var service in table.Services)
        {
            var key = service.Key;
            if (!seen.Add(key))
                problems.Add(new(key, "name", "the service is declared twice; namespace/name must be unique"));
            if (!IsDnsLabel(service.Namespace))
                problems.Add(new(key, "namespace", "must be a DNS label (lowercase letters, digits, '-', at most 63)"));
            if (!IsDnsLabel(service.Name))
                problems.Add(new(key, "name", "must be a DNS label (lowercase letters, digits, '-', at most 63)"));
            if (service.Type == ServiceType.ExternalName)
            {
                if (string.IsNullOrWhiteSpace(service.ExternalName))
                    problems.Add(new(key, "externalName", "an ExternalName service needs externalName (a DNS name)"));
                continue;
            }
            ValidatePorts(service, key, node, problems, nodePorts);
            ValidateEndpoints(service, key, problems);
            if (service.SessionAffinity == SessionAffinity.ClientIP && service.SessionAffinityTimeoutSeconds is < 1 or > 86400)
                problems.Add(new(key, "sessionAffinityConfig.clientIP.timeoutSeconds", "must be between 1 and 86400"));
            if (service.IsHeadless)
                continue;
            if (!TryParseIPv4(service.ClusterIP, out var clusterIp))
                problems.Add(new(key, "clusterIP", $"'{service.ClusterIP}' is not an IPv4 address (use \"None\" for a headless service)"));
            else if (serviceCidr is { } cidr && !cidr.Contains(clusterIp))
                problems.Add(new(key, "clusterIP", $"{service.ClusterIP} is outside the service CIDR {node.ServiceCidr}"));
            else
                ClaimFrontend(service, key, service.ClusterIP!, "clusterIP", frontends, problems);
            ValidateAddresses(service, key, service.ExternalIPs, "externalIPs", frontends, problems);
            if (service.LoadBalancerIPs.Count > 0 && service.Type != ServiceType.LoadBalancer)
                problems.Add(new(key, "loadBalancerIPs", "only a LoadBalancer service has load-balancer IPs"));
            ValidateAddresses(service, key, service.LoadBalancerIPs, "loadBalancerIPs", frontends, problems);
        }
        return problems;
    }

    public static void ThrowIfInvalid(ServiceTable table, NodeContext node)
    {
        var problems = Validate(table, node);
        if (problems.Count > 0)
            throw new InvalidServiceTableException(problems);
    }

    private static IPNetwork? ValidateNode(NodeContext node, List<RuleProblem> problems)
    {
        const string who = "node";
        if (string.IsNullOrWhiteSpace(node.NodeName))
            problems.Add(new(who, "nodeName", "the node needs a name (it selects local endpoints)"));
        if (!TryParseCidr(node.ClusterCidr, out _))
            problems.Add(new(who, "clusterCidr", $"'{node.ClusterCidr}' is not an IPv4 CIDR like 10.244.0.0/16"));
        foreach (var ip in node.NodeIPs.Where(ip => !TryParseIPv4(ip, out _)))
            problems.Add(new(who, "nodeIPs", $"'{ip}' is not an IPv4 address"));
        if (node.NodePortMin < 1 || node.NodePortMax > 65535 || node.NodePortMin > node.NodePortMax)
            problems.Add(new(who, "nodePortRange", $"{node.NodePortMin}-{node.NodePortMax} is not a port range like 30000-32767"));
        if (TryParseCidr(node.ServiceCidr, out var serviceCidr))
            return serviceCidr;
        problems.Add(new(who, "serviceCidr", $"'{node.ServiceCidr}' is not an IPv4 CIDR like 10.96.0.0/12"));
        return null;
    }

    // A table of 10k valid services is checked on every full sync: the field names (ports[i].name, ...) are only written
    // for a problem, and the per-service sets only made when a service has more than one port.
    private static void ValidatePorts(Service service, string key, NodeContext node, List<RuleProblem> problems, Dictionary<string, string> nodePorts)
    {
        if (service.Ports.Count == 0 && !service.IsDnsOnly)
            problems.Add(new(key, "ports", "a service with a cluster IP needs at least one port"));
        var names = service.Ports.Count > 1 ? new HashSet<string>(StringComparer.Ordinal) : null;
        var numbers = service.Ports.Count > 1 ? new HashSet<(int, ServiceProtocol)>() : null;
        for (var i = 0; i < service.Ports.Count; i++)
        {
            var port = service.Ports[i];
            if (port.Name.Length > 0 && !IsDnsLabel(port.Name))
                problems.Add(new(key, Field("ports", i, ".name"), $"'{port.Name}' must be a DNS label"));
            if (port.Name.Length == 0 && service.Ports.Count > 1)
                problems.Add(new(key, Field("ports", i, ".name"), "every port needs a name when a service has more than one"));
            if (names?.Add(port.Name) == false)
                problems.Add(new(key, Field("ports", i, ".name"), $"duplicate port name '{port.Name}'"));
            if (port.Port is < 1 or > 65535)
                problems.Add(new(key, Field("ports", i, ".port"), $"{port.Port} is not a port (1-65535)"));
            else if (numbers?.Add((port.Port, port.Protocol)) == false)
                problems.Add(new(key, Field("ports", i, ".port"), $"duplicate port {port.Port}/{port.Protocol}"));
            if (port.TargetPort is < 1 or > 65535)
                problems.Add(new(key, Field("ports", i, ".targetPort"), $"{port.TargetPort} is not a port (1-65535)"));
            ValidateNodePort(service, key, port, i, node, problems, nodePorts);
        }
    }

    private static string Field(string list, int index, string member) =>
        string.Create(CultureInfo.InvariantCulture, $"{list}[{index}]{member}");

    private static void ValidateNodePort(Service service, string key, ServicePort port, int index, NodeContext node,
        List<RuleProblem> problems, Dictionary<string, string> nodePorts)
    {
        if (!service.HasNodePorts)
        {
            if (port.NodePort is not null)
                problems.Add(new(key, Field("ports", index, ".nodePort"), $"only NodePort and LoadBalancer services have a nodePort (type is {service.Type})"));
            return;
        }
        if (port.NodePort is not { } nodePort)
        {
            problems.Add(new(key, Field("ports", index, ".nodePort"), $"a {service.Type} service needs a nodePort in {node.NodePortMin}-{node.NodePortMax}"));
            return;
        }
        var field = Field("ports", index, ".nodePort");
        if (nodePort < node.NodePortMin || nodePort > node.NodePortMax)
            problems.Add(new(key, field, $"{nodePort} is outside the node-port range {node.NodePortMin}-{node.NodePortMax}"));
        else if (!nodePorts.TryAdd($"{port.Protocol}/{nodePort}", key))
            problems.Add(new(key, field, $"{nodePort}/{port.Protocol} is already used by {nodePorts[$"{port.Protocol}/{nodePort}"]}"));
    }

    private static void ValidateEndpoints(Service service, string key, List<RuleProblem> problems)
    {
        for (var i = 0; i < service.Endpoints.Count; i++)
        {
            var endpoint = service.Endpoints[i];
            if (!TryParseIPv4(endpoint.Address, out _))
                problems.Add(new(key, Field("endpoints", i, ".address"), $"'{endpoint.Address}' is not an IPv4 address"));
            if (endpoint.Ports is not { } ports)
                continue;
            foreach (var (name, port) in ports)
            {
                if (!service.Ports.Any(p => p.Name == name))
                    problems.Add(new(key, Field("endpoints", i, $".ports[{name}]"), $"the service has no port named '{name}'"));
                if (port is < 1 or > 65535)
                    problems.Add(new(key, Field("endpoints", i, $".ports[{name}]"), $"{port} is not a port (1-65535)"));
            }
        }
        if (service.IsDnsOnly && service.Endpoints.Count > 0 && service.Type == ServiceType.ExternalName)
            problems.Add(new(key, "endpoints", "an ExternalName service has no endpoints"));
    }

    private static void ValidateAddresses(Service service, string key, IReadOnlyList<string> addresses, string field,
        Dictionary<string, string> frontends, List<RuleProblem> problems)
    {
        if (addresses.Count == 0)
            return;
        var valid = new List<string>(addresses.Count);
        foreach (var address in addresses)
        {
            if (TryParseIPv4(address, out _))
                valid.Add(address);
            else
                problems.Add(new(key, field, $"'{address}' is not an IPv4 address"));
        }
        foreach (var address in valid)
            ClaimFrontend(service, key, address, field, frontends, problems);
    }

    /// <summary>Two services may not answer on the same address, protocol and port.</summary>
    private static void ClaimFrontend(Service service, string key, string address, string field,
        Dictionary<string, string> frontends, List<RuleProblem> problems)
    {
        foreach (var port in service.Ports)
        {
            var frontend = $"{address}:{port.Port}/{port.Protocol}";
            if (!frontends.TryAdd(frontend, key) && frontends[frontend] != key)
                problems.Add(new(key, field, $"{frontend} is already served by {frontends[frontend]}"));
        }
    }

    /// <summary>
    /// Whether two services of <paramref name="table"/> claim one frontend or node port. For a table of services each
    /// valid on its own (netlab-proxy's converted services) that is the only problem <see cref="Validate"/> can still
    /// find, and this check costs a fraction of it.
    /// </summary>
    public static bool HasClaimConflicts(ServiceTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var owners = new Dictionary<string, string>(table.Services.Count * 2, StringComparer.Ordinal);
        foreach (var service in table.Services)
        {
            var key = service.Key;
            var (frontends, nodePorts) = Claims(service);
            foreach (var claim in frontends)
            {
                if (!owners.TryAdd(claim, key) && owners[claim] != key)
                    return true;
            }
            foreach (var claim in nodePorts)
            {
                if (!owners.TryAdd("nodePort " + claim, key))
                    return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The frontends ("address:port/PROTOCOL") and node ports ("PROTOCOL/port") a service claims, keyed as
    /// <see cref="Validate"/> keys them, for a service that is valid on its own: two services of a valid table never
    /// share a claim, which is what lets the engine validate only the services that changed.
    /// </summary>
    internal static (IReadOnlyList<string> Frontends, IReadOnlyList<string> NodePorts) Claims(Service service)
    {
        ArgumentNullException.ThrowIfNull(service);
        return ClaimsOf.GetValue(service, s => new ServiceClaims(ClaimsOfService(s))).Claims;
    }

    /// <summary>Claims by service object: a proxy's table keeps the object of every unchanged service, so each sync
    /// works out the claims of the changed ones only.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Service, ServiceClaims> ClaimsOf = [];

    private sealed record ServiceClaims((IReadOnlyList<string> Frontends, IReadOnlyList<string> NodePorts) Claims);

    private static (IReadOnlyList<string> Frontends, IReadOnlyList<string> NodePorts) ClaimsOfService(Service service)
    {
        if (service.Type == ServiceType.ExternalName)
            return ([], []);
        IReadOnlyList<string> nodePorts = service.HasNodePorts
            ? [.. service.Ports.Where(p => p.NodePort is not null).Select(p => $"{p.Protocol}/{p.NodePort}")]
            : [];
        if (service.IsHeadless)
            return ([], nodePorts);
        return ([.. from address in (IEnumerable<string>)[service.ClusterIP!, .. service.ExternalIPs, .. service.LoadBalancerIPs]
                    from port in service.Ports
                    select $"{address}:{port.Port}/{port.Protocol}"], nodePorts);
    }

    internal static bool TryParseIPv4(string? text, out IPAddress address)
    {
        address = IPAddress.None;
        // canonical form only (no leading zeros, no short forms): formatted back onto the stack, not into a string
        Span<char> canonical = stackalloc char[15];
        if (text is null || !IPAddress.TryParse(text, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetwork
            || !parsed.TryFormat(canonical, out var written) || !canonical[..written].SequenceEqual(text))
            return false;
        address = parsed;
        return true;
    }

    internal static bool TryParseCidr(string? text, out IPNetwork network)
    {
        network = default;
        return text is not null && text.Contains('/', StringComparison.Ordinal) && IPNetwork.TryParse(text, out network)
               && network.BaseAddress.AddressFamily == AddressFamily.InterNetwork && network.ToString() == text;
    }

    private static bool IsDnsLabel(string text) => text.Length <= 63 && DnsLabel().IsMatch(text);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();
}
