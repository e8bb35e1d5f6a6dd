using Provisioner.ServiceRules.Model;

namespace Provisioner.ServiceRules.Nftables;

/// <summary>The set and map elements of every service port: the data half of the nftables ruleset.</summary>
internal sealed class NftElements(NodeContext node)
{
    public List<NftElement> ClusterIps { get; } = [];
    public List<NftElement> ExternalMasq { get; } = [];
    public List<NftElement> NodePortMasq { get; } = [];
    public List<NftElement> ServiceIps { get; } = [];
    public List<NftElement> ServiceNodePorts { get; } = [];
    public List<NftElement> ServiceEndpoints { get; } = [];
    public List<NftElement> NodePortEndpoints { get; } = [];
    public List<NftElement> Hairpin { get; } = [];
    public List<NftElement> NoEndpoints { get; } = [];
    public List<NftElement> NoEndpointNodePorts { get; } = [];
    public List<NftElement> NoLocalEndpoints { get; } = [];
    public List<NftElement> NoLocalEndpointNodePorts { get; } = [];
    public List<(int Timeout, NftElement Element)> AffinityServices { get; } = [];
    private readonly HashSet<string> _hairpins = new(StringComparer.Ordinal);

    public void Add(ResolvedServicePort sp)
    {
        var name = sp.PortName;
        var (proto, port) = (sp.Protocol, sp.Port.Port);
        string Frontend(string address) => $"{address} . {proto} . {port}";
        var nodePort = sp.Port.NodePort is { } np ? $"{proto} . {np}" : null;

        if (sp.AllEndpoints.Count == 0)
        {
            NoEndpoints.Add(new(Frontend(sp.ClusterIP), null, $"{name} has no endpoints"));
            NoEndpoints.AddRange(sp.ExternalAddresses.Select(a => new NftElement(Frontend(a), null, $"{name} has no endpoints")));
            if (nodePort is not null)
                NoEndpointNodePorts.Add(new(nodePort, null, $"{name} has no endpoints"));
            return;
        }
        foreach (var endpoint in sp.ReachableEndpoints.Where(e => _hairpins.Add(e.Address)))
            Hairpin.Add(new($"{endpoint.Address} . {endpoint.Address}"));

        var (clusterIp, clusterComment) = (Frontend(sp.ClusterIP), name + " cluster IP");
        AddFrontend(sp, clusterIp, clusterComment, sp.InternalEndpoints, NoLocalEndpoints);
        if (!sp.InternalLocal && sp.InternalEndpoints.Count > 0)
            ClusterIps.Add(new(clusterIp, null, clusterComment));
        foreach (var address in sp.Service.ExternalIPs)
            AddExternal(sp, Frontend(address), $"{name} external IP");
        foreach (var address in sp.Service.LoadBalancerIPs)
            AddExternal(sp, Frontend(address), $"{name} loadbalancer IP");
        if (nodePort is not null)
        {
            var endpoints = sp.ExternalEndpoints;
            if (endpoints.Count == 0)
            {
                NoLocalEndpointNodePorts.Add(new(nodePort, null, $"{name} has no local endpoints"));
                return;
            }
            ServiceNodePorts.Add(new(nodePort, $"goto nodeport-pick-{endpoints.Count}", $"{name} node port"));
            NodePortEndpoints.AddRange(endpoints.Select((e, i) => new NftElement($"{nodePort} . {i}", $"{e.Address} . {e.Port}", $"{name} -> {e.HostPort}")));
            if (!sp.ExternalLocal)
                NodePortMasq.Add(new(nodePort, null, $"{name} node port"));
            if (sp.Affinity)
                AffinityServices.AddRange(node.NodeIPs.Select(ip => (sp.Service.SessionAffinityTimeoutSeconds, new NftElement($"{ip} . {sp.Port.NodePort}"))));
        }
    }

    /// <summary>The elements by set name (only sets that got any), each set's in the order they were added.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<NftElement>> BySet()
    {
        var sets = new Dictionary<string, IReadOnlyList<NftElement>>(StringComparer.Ordinal);
        void Put(string name, List<NftElement> elements)
        {
            if (elements.Count > 0)
                sets[name] = elements;
        }
        Put("cluster-ips", ClusterIps);
        Put("external-masq", ExternalMasq);
        Put("nodeport-masq", NodePortMasq);
        Put("service-ips", ServiceIps);
        Put("service-nodeports", ServiceNodePorts);
        Put("service-endpoints", ServiceEndpoints);
        Put("nodeport-endpoints", NodePortEndpoints);
        Put("hairpin", Hairpin);
        Put("no-endpoints", NoEndpoints);
        Put("no-endpoint-nodeports", NoEndpointNodePorts);
        Put("no-local-endpoints", NoLocalEndpoints);
        Put("no-local-endpoint-nodeports", NoLocalEndpointNodePorts);
        foreach (var group in AffinityServices.GroupBy(a => a.Timeout))
            Put("affinity-services-" + group.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), [.. group.Select(a => a.Element)]);
        return sets;
    }

    private void AddExternal(ResolvedServicePort sp, string frontend, string comment)
    {
        AddFrontend(sp, frontend, comment, sp.ExternalEndpoints, NoLocalEndpoints);
        if (!sp.ExternalLocal && sp.ExternalEndpoints.Count > 0)
            ExternalMasq.Add(new(frontend, null, comment));
    }

    private void AddFrontend(ResolvedServicePort sp, string frontend, string comment, IReadOnlyList<EndpointTarget> endpoints, List<NftElement> noLocal)
    {
        if (endpoints.Count == 0)
        {
            noLocal.Add(new(frontend, null, $"{sp.PortName} has no local endpoints"));
            return;
        }
        ServiceIps.Add(new(frontend, $"goto pick-{endpoints.Count}", comment));
        ServiceEndpoints.AddRange(endpoints.Select((e, i) => new NftElement($"{frontend} . {i}", $"{e.Address} . {e.Port}", $"{sp.PortName} -> {e.HostPort}")));
        if (sp.Affinity)
            AffinityServices.Add((sp.Service.SessionAffinityTimeoutSeconds, new NftElement($"{frontend.Split(" . ")[0]} . {sp.Port.Port}")));
    }
}
