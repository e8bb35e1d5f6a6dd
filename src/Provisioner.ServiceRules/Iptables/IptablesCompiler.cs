using Provisioner.ServiceRules.Model;
using static Provisioner.ServiceRules.Naming.ChainNames;

namespace Provisioner.ServiceRules.Iptables;

/// <summary>
/// Compiles a service table into kube-proxy-shaped iptables chains (nat: NETLAB-SERVICES → NETLAB-SVC/SVL/EXT → NETLAB-SEP
/// → DNAT; filter: REJECT for services without endpoints). Pure: no process is run.
/// </summary>
public static class IptablesCompiler
{
    public const string NodePortsJumpComment = "netlab service nodeports; NOTE: this must be the last rule in this chain";

    public static IptablesRuleset Compile(ServiceTable table, NodeContext node)
    {
        ArgumentNullException.ThrowIfNull(table);
        return Assemble([.. table.Services.Where(s => !s.IsDnsOnly).OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => Fragment(s, node))], node);
    }

    /// <summary>What one service contributes: its own chains and its rules in the shared dispatch chains. It depends on
    /// the service and the node alone, so the engine compiles only the services that changed.</summary>
    public static IptablesFragment Fragment(Service service, NodeContext node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var nat = new NatRules(node.ClusterCidr, node.MasqueradeAll);
        foreach (var port in ServiceResolver.ResolveService(service, node))
            nat.Add(port);
        var dispatch = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (key, rules) in (ReadOnlySpan<(string, List<string>)>)
                 [(NatServices, nat.Services), (NatNodePorts, nat.NodePorts), (FilterServices, nat.FilterServices), (FilterExternal, nat.FilterExternal)])
        {
            if (rules.Count > 0)
                dispatch[key] = rules;
        }
        return new IptablesFragment(nat.PerServiceChains, dispatch);
    }

    /// <summary>The dispatch chains every service puts rules in, by "table/NAME" (<see cref="IptablesChain.Key"/>), in
    /// the order the ruleset lists them.</summary>
    public static IReadOnlyList<string> DispatchChains { get; } = [NatServices, NatNodePorts, FilterServices, FilterExternal];

    private const string NatServices = "nat/" + Services, NatNodePorts = "nat/" + NodePorts;
    private const string FilterServices = "filter/" + Services, FilterExternal = "filter/" + ExternalServices;

    /// <summary>The ruleset of <paramref name="fragments"/> (in service-key order): the shared chains with every
    /// fragment's dispatch rules in fragment order, then every fragment's own chains.</summary>
    public static IptablesRuleset Assemble(IReadOnlyList<IptablesFragment> fragments, NodeContext node)
    {
        ArgumentNullException.ThrowIfNull(fragments);
        ArgumentNullException.ThrowIfNull(node);
        List<string> Gather(string key) => [.. fragments.SelectMany(f => f.Dispatch.GetValueOrDefault(key) ?? [])];
        List<IptablesChain> chains =
        [
            new("nat", Services, [.. Gather(NatServices), IptablesRule.In(Services).Comment(NodePortsJumpComment).DestinationLocal().Jump(NodePorts)], Unordered: true, PinnedLast: true),
            new("nat", NodePorts, Gather(NatNodePorts), Unordered: true),
            new("nat", Postrouting,
            [
                .. node.EgressMasquerade ? [EgressMasquerade(node.ClusterCidr)] : Array.Empty<string>(),
                IptablesRule.In(Postrouting).Match($"-m mark ! --mark {IptablesRule.MasqMark}/{IptablesRule.MasqMark}").Jump("RETURN"),
                IptablesRule.In(Postrouting).Jump($"MARK --set-xmark {IptablesRule.MasqMark}/0x0"),
                IptablesRule.In(Postrouting).Comment("netlab service traffic requiring SNAT").Jump("MASQUERADE --random-fully"),
            ]),
            new("nat", MarkMasq, [IptablesRule.In(MarkMasq).MarkForMasquerade()]),
            .. fragments.SelectMany(f => f.Chains),
            new("filter", Services, Gather(FilterServices), Unordered: true),
            new("filter", ExternalServices, Gather(FilterExternal), Unordered: true),
        ];
        return new IptablesRuleset(chains, HookJumps);
    }

    public const string EgressComment = "netlab pod egress leaving the cluster pod range";

    /// <summary>Pod traffic leaving the pod range takes the node's address (bridge CNIs' ipMasq, flannel).</summary>
    private static string EgressMasquerade(string clusterCidr) =>
        IptablesRule.In(Postrouting).From(clusterCidr).To(clusterCidr, negate: true).Comment(EgressComment).Jump("MASQUERADE --random-fully");

    public static IReadOnlyList<IptablesHookJump> HookJumps { get; } =
    [
        new("nat", IptablesRule.In("PREROUTING").Comment("netlab service portals").Jump(Services)),
        new("nat", IptablesRule.In("OUTPUT").Comment("netlab service portals").Jump(Services)),
        new("nat", IptablesRule.In("POSTROUTING").Comment("netlab postrouting rules").Jump(Postrouting)),
        new("filter", IptablesRule.In("INPUT").Comment("netlab externally-visible service portals").NewConnections().Jump(ExternalServices)),
        new("filter", IptablesRule.In("FORWARD").Comment("netlab service portals").NewConnections().Jump(Services)),
        new("filter", IptablesRule.In("FORWARD").Comment("netlab externally-visible service portals").NewConnections().Jump(ExternalServices)),
        new("filter", IptablesRule.In("OUTPUT").Comment("netlab service portals").NewConnections().Jump(Services)),
    ];

    /// <summary>Accumulates the rules of every service port; one method per kube-proxy chain kind.</summary>
    private sealed class NatRules(string clusterCidr, bool masqueradeAll)
    {
        public List<string> Services { get; } = [];
        public List<string> NodePorts { get; } = [];
        public List<string> FilterServices { get; } = [];
        public List<string> FilterExternal { get; } = [];
        public List<IptablesChain> PerServiceChains { get; } = [];

        public void Add(ResolvedServicePort sp)
        {
            var name = sp.PortName;
            var proto = sp.Protocol;
            var port = sp.Port.Port;
            if (sp.AllEndpoints.Count == 0)
            {
                FilterServices.Add(IptablesRule.In(Naming.ChainNames.Services).To(sp.ClusterIP).Protocol(proto)
                    .Comment(name, " has no endpoints").DestinationPort(port).Reject());
                foreach (var address in sp.ExternalAddresses)
                    FilterExternal.Add(IptablesRule.In(ExternalServices).To(address).Protocol(proto)
                        .Comment(name, " has no endpoints").DestinationPort(port).Reject());
                if (sp.Port.NodePort is { } np)
                    FilterExternal.Add(IptablesRule.In(ExternalServices).Protocol(proto)
                        .Comment(name, " has no endpoints").DestinationLocal().DestinationPort(np).Reject());
                return;
            }

            PerServiceChains.Add(new("nat", sp.ServiceChain, DispatchRules(sp, sp.ServiceChain, sp.AllEndpoints, masqueradeClusterIp: !sp.InternalLocal)));
            var needsLocal = (sp.InternalLocal || (sp.ExternalLocal && sp.HasExternal)) && sp.LocalEndpoints.Count > 0;
            if (needsLocal)
                PerServiceChains.Add(new("nat", sp.LocalServiceChain, DispatchRules(sp, sp.LocalServiceChain, sp.LocalEndpoints, masqueradeClusterIp: sp.InternalLocal)));
            foreach (var endpoint in sp.ReachableEndpoints)
                PerServiceChains.Add(new("nat", endpoint.Chain, EndpointRules(sp, endpoint)));

            if (sp.InternalEndpoints.Count > 0)
                Services.Add(IptablesRule.In(Naming.ChainNames.Services).To(sp.ClusterIP).Protocol(proto)
                    .Comment(name, " cluster IP").DestinationPort(port).Jump(sp.InternalLocal ? sp.LocalServiceChain : sp.ServiceChain));
            else
                FilterServices.Add(IptablesRule.In(Naming.ChainNames.Services).To(sp.ClusterIP).Protocol(proto)
                    .Comment(name, " has no local endpoints").DestinationPort(port).Jump("DROP"));

            if (sp.HasExternal)
                AddExternal(sp);
        }

        private void AddExternal(ResolvedServicePort sp)
        {
            var (name, proto, port) = (sp.PortName, sp.Protocol, sp.Port.Port);
            if (sp.ExternalEndpoints.Count == 0)
            {
                foreach (var address in sp.ExternalAddresses)
                    FilterExternal.Add(IptablesRule.In(ExternalServices).To(address).Protocol(proto)
                        .Comment(name, " has no local endpoints").DestinationPort(port).Jump("DROP"));
                if (sp.Port.NodePort is { } dropPort)
                    FilterExternal.Add(IptablesRule.In(ExternalServices).Protocol(proto)
                        .Comment(name, " has no local endpoints").DestinationLocal().DestinationPort(dropPort).Jump("DROP"));
                return;
            }
            var ext = sp.ExternalChain; // joined on each ask: asked once
            foreach (var address in sp.Service.ExternalIPs)
                Services.Add(IptablesRule.In(Naming.ChainNames.Services).To(address).Protocol(proto)
                    .Comment(name, " external IP").DestinationPort(port).Jump(ext));
            foreach (var address in sp.Service.LoadBalancerIPs)
                Services.Add(IptablesRule.In(Naming.ChainNames.Services).To(address).Protocol(proto)
                    .Comment(name, " loadbalancer IP").DestinationPort(port).Jump(ext));
            if (sp.Port.NodePort is { } nodePort)
                NodePorts.Add(IptablesRule.In(Naming.ChainNames.NodePorts).Protocol(proto)
                    .Comment(name).DestinationPort(nodePort).Jump(ext));

            PerServiceChains.Add(new("nat", ext, sp.ExternalLocal
                ?
                [
                    IptablesRule.In(ext).From(clusterCidr).Comment("pod traffic for ", name, " external destinations").Jump(sp.ServiceChain),
                    IptablesRule.In(ext).Comment("masquerade LOCAL traffic for ", name, " external destinations").SourceLocal().Jump(MarkMasq),
                    IptablesRule.In(ext).Comment("route LOCAL traffic for ", name, " external destinations").SourceLocal().Jump(sp.ServiceChain),
                    IptablesRule.In(ext).Comment(name, " local endpoints only").Jump(sp.LocalServiceChain),
                ]
                :
                [
                    IptablesRule.In(ext).Comment("masquerade traffic for ", name, " external destinations").Jump(MarkMasq),
                    IptablesRule.In(ext).Comment(name, " all endpoints").Jump(sp.ServiceChain),
                ]));
        }

        /// <summary>SVC/SVL: masquerade off-cluster clients, keep affine clients, then the 1/(n-i) cascade.</summary>
        private List<string> DispatchRules(ResolvedServicePort sp, string chain, IReadOnlyList<EndpointTarget> endpoints, bool masqueradeClusterIp)
        {
            var rules = new List<string>((masqueradeClusterIp ? 1 : 0) + endpoints.Count * (sp.Affinity ? 2 : 1));
            if (masqueradeClusterIp)
                rules.Add((masqueradeAll ? IptablesRule.In(chain) : IptablesRule.In(chain).From(clusterCidr, negate: true)).To(sp.ClusterIP).Protocol(sp.Protocol)
                    .Comment(sp.PortName, " cluster IP").DestinationPort(sp.Port.Port).Jump(MarkMasq));
            if (sp.Affinity)
            {
                foreach (var endpoint in endpoints)
                    rules.Add(IptablesRule.In(chain).Comment(sp.PortName, " -> ", endpoint.HostPort)
                        .RecentCheck(sp.Service.SessionAffinityTimeoutSeconds, endpoint.Chain)
                        .Jump(endpoint.Chain));
            }
            for (var i = 0; i < endpoints.Count; i++)
            {
                var rule = IptablesRule.In(chain).Comment(sp.PortName, " -> ", endpoints[i].HostPort);
                if (i < endpoints.Count - 1)
                    rule.Probability(endpoints.Count - i);
                rules.Add(rule.Jump(endpoints[i].Chain));
            }
            return rules;
        }

        /// <summary>SEP: hairpin masquerade (a pod reaching itself), then DNAT; affinity records the client. The DNAT rule
        /// has <c>-p tcp</c> and no bare <c>-m tcp</c> (kube-proxy writes both): the protocol alone is what DNAT's port
        /// needs, and the empty match is one more xt match for the kernel to look up and check per endpoint (30k at 10k
        /// services).</summary>
        private static List<string> EndpointRules(ResolvedServicePort sp, EndpointTarget endpoint)
        {
            var dnat = IptablesRule.In(endpoint.Chain).Protocol(sp.Protocol).Comment(sp.PortName);
            if (sp.Affinity)
                dnat.RecentSet(endpoint.Chain);
            return
            [
                IptablesRule.In(endpoint.Chain).From(endpoint.Address).Comment(sp.PortName).Jump(MarkMasq),
                dnat.Dnat(endpoint.HostPort),
            ];
        }
    }
}
