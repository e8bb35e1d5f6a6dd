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
        ArgumentNullException.ThrowIfNull(node);
        var (ports, _) = ServiceResolver.Resolve(table, node);
        var nat = new NatRules(node.ClusterCidr, node.MasqueradeAll);
        foreach (var port in ports)
            nat.Add(port);

        List<IptablesChain> chains =
        [
            new("nat", Services, [.. nat.Services, IptablesRule.In(Services).Comment(NodePortsJumpComment).DestinationLocal().Jump(NodePorts)], Unordered: true, PinnedLast: true),
            new("nat", NodePorts, nat.NodePorts, Unordered: true),
            new("nat", Postrouting,
            [
                .. node.EgressMasquerade ? [EgressMasquerade(node.ClusterCidr)] : Array.Empty<string>(),
                IptablesRule.In(Postrouting).Match($"-m mark ! --mark {IptablesRule.MasqMark}/{IptablesRule.MasqMark}").Jump("RETURN"),
                IptablesRule.In(Postrouting).Jump($"MARK --set-xmark {IptablesRule.MasqMark}/0x0"),
                IptablesRule.In(Postrouting).Comment("netlab service traffic requiring SNAT").Jump("MASQUERADE --random-fully"),
            ]),
            new("nat", MarkMasq, [IptablesRule.In(MarkMasq).MarkForMasquerade()]),
            .. nat.PerServiceChains,
            new("filter", Services, nat.FilterServices, Unordered: true),
            new("filter", ExternalServices, nat.FilterExternal, Unordered: true),
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
                    .Comment($"{name} has no endpoints").DestinationPort(port).Reject());
                foreach (var address in sp.ExternalAddresses)
                    FilterExternal.Add(IptablesRule.In(ExternalServices).To(address).Protocol(proto)
                        .Comment($"{name} has no endpoints").DestinationPort(port).Reject());
                if (sp.Port.NodePort is { } np)
                    FilterExternal.Add(IptablesRule.In(ExternalServices).Protocol(proto)
                        .Comment($"{name} has no endpoints").DestinationLocal().DestinationPort(np).Reject());
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
                    .Comment($"{name} cluster IP").DestinationPort(port).Jump(sp.InternalLocal ? sp.LocalServiceChain : sp.ServiceChain));
            else
                FilterServices.Add(IptablesRule.In(Naming.ChainNames.Services).To(sp.ClusterIP).Protocol(proto)
                    .Comment($"{name} has no local endpoints").DestinationPort(port).Jump("DROP"));

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
                        .Comment($"{name} has no local endpoints").DestinationPort(port).Jump("DROP"));
                if (sp.Port.NodePort is { } dropPort)
                    FilterExternal.Add(IptablesRule.In(ExternalServices).Protocol(proto)
                        .Comment($"{name} has no local endpoints").DestinationLocal().DestinationPort(dropPort).Jump("DROP"));
                return;
            }
            foreach (var address in sp.Service.ExternalIPs)
                Services.Add(IptablesRule.In(Naming.ChainNames.Services).To(address).Protocol(proto)
                    .Comment($"{name} external IP").DestinationPort(port).Jump(sp.ExternalChain));
            foreach (var address in sp.Service.LoadBalancerIPs)
                Services.Add(IptablesRule.In(Naming.ChainNames.Services).To(address).Protocol(proto)
                    .Comment($"{name} loadbalancer IP").DestinationPort(port).Jump(sp.ExternalChain));
            if (sp.Port.NodePort is { } nodePort)
                NodePorts.Add(IptablesRule.In(Naming.ChainNames.NodePorts).Protocol(proto)
                    .Comment(name).DestinationPort(nodePort).Jump(sp.ExternalChain));

            var ext = sp.ExternalChain;
            PerServiceChains.Add(new("nat", ext, sp.ExternalLocal
                ?
                [
                    IptablesRule.In(ext).From(clusterCidr).Comment($"pod traffic for {name} external destinations").Jump(sp.ServiceChain),
                    IptablesRule.In(ext).Comment($"masquerade LOCAL traffic for {name} external destinations").SourceLocal().Jump(MarkMasq),
                    IptablesRule.In(ext).Comment($"route LOCAL traffic for {name} external destinations").SourceLocal().Jump(sp.ServiceChain),
                    IptablesRule.In(ext).Comment($"{name} local endpoints only").Jump(sp.LocalServiceChain),
                ]
                :
                [
                    IptablesRule.In(ext).Comment($"masquerade traffic for {name} external destinations").Jump(MarkMasq),
                    IptablesRule.In(ext).Comment($"{name} all endpoints").Jump(sp.ServiceChain),
                ]));
        }

        /// <summary>SVC/SVL: masquerade off-cluster clients, keep affine clients, then the 1/(n-i) cascade.</summary>
        private List<string> DispatchRules(ResolvedServicePort sp, string chain, IReadOnlyList<EndpointTarget> endpoints, bool masqueradeClusterIp)
        {
            var rules = new List<string>();
            if (masqueradeClusterIp)
                rules.Add((masqueradeAll ? IptablesRule.In(chain) : IptablesRule.In(chain).From(clusterCidr, negate: true)).To(sp.ClusterIP).Protocol(sp.Protocol)
                    .Comment($"{sp.PortName} cluster IP").DestinationPort(sp.Port.Port).Jump(MarkMasq));
            if (sp.Affinity)
            {
                foreach (var endpoint in endpoints)
                    rules.Add(IptablesRule.In(chain).Comment($"{sp.PortName} -> {endpoint.HostPort}")
                        .Match($"-m recent --rcheck --seconds {sp.Service.SessionAffinityTimeoutSeconds} --reap --name {endpoint.Chain} --mask 255.255.255.255 --rsource")
                        .Jump(endpoint.Chain));
            }
            for (var i = 0; i < endpoints.Count; i++)
            {
                var rule = IptablesRule.In(chain).Comment($"{sp.PortName} -> {endpoints[i].HostPort}");
                if (i < endpoints.Count - 1)
                    rule.Probability(endpoints.Count - i);
                rules.Add(rule.Jump(endpoints[i].Chain));
            }
            return rules;
        }

        /// <summary>SEP: hairpin masquerade (a pod reaching itself), then DNAT; affinity records the client.</summary>
        private static List<string> EndpointRules(ResolvedServicePort sp, EndpointTarget endpoint)
        {
            var dnat = IptablesRule.In(endpoint.Chain).Protocol(sp.Protocol).Comment(sp.PortName);
            if (sp.Affinity)
                dnat.Match($"-m recent --set --name {endpoint.Chain} --mask 255.255.255.255 --rsource");
            return
            [
                IptablesRule.In(endpoint.Chain).From(endpoint.Address).Comment(sp.PortName).Jump(MarkMasq),
                dnat.Match($"-m {sp.Protocol}").Dnat(endpoint.HostPort),
            ];
        }
    }
}
