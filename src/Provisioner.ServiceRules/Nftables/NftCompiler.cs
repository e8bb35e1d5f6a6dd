using Provisioner.ServiceRules.Model;

namespace Provisioner.ServiceRules.Nftables;

/// <summary>
/// Compiles a service table into one nftables table built on maps, not per-service chains: a service is a few map
/// elements (frontend → "goto pick-N", frontend . index → endpoint), so 10k services load as data in one transaction.
/// Random choice is <c>numgen random mod N</c> over the concatenated key, the nft equivalent of kube-proxy's cascade.
/// </summary>
public static class NftCompiler
{
    public const string MasqMark = "0x00004000";
    private const string Frontend = "ip daddr . meta l4proto . th dport";
    private static readonly string[] Protocols = ["tcp", "udp", "sctp"];
    private const string LocalPort = "fib daddr type local meta l4proto . th dport";

    public static NftRuleset Compile(ServiceTable table, NodeContext node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var (ports, _) = ServiceResolver.Resolve(table, node);
        var e = new NftElements(node);
        foreach (var sp in ports)
            e.Add(sp);
        var picks = PickChainCount(ports);
        var affinityTimeouts = ports.Where(p => p.Affinity).Select(p => p.Service.SessionAffinityTimeoutSeconds).Distinct().Order().ToList();

        List<NftSet> sets =
        [
            Set("cluster-ips", "type ipv4_addr . inet_proto . inet_service", e.ClusterIps),
            Set("external-masq", "type ipv4_addr . inet_proto . inet_service", e.ExternalMasq),
            Set("nodeport-masq", "type inet_proto . inet_service", e.NodePortMasq),
            Map("service-ips", "type ipv4_addr . inet_proto . inet_service : verdict", e.ServiceIps),
            Map("service-nodeports", "type inet_proto . inet_service : verdict", e.ServiceNodePorts),
            Map("service-endpoints", "typeof ip daddr . meta l4proto . th dport . numgen random mod 1 : ip daddr . th dport", e.ServiceEndpoints),
            Map("nodeport-endpoints", "typeof meta l4proto . th dport . numgen random mod 1 : ip daddr . th dport", e.NodePortEndpoints),
            Set("hairpin", "typeof ip saddr . ip daddr", e.Hairpin),
            Set("no-endpoints", "type ipv4_addr . inet_proto . inet_service", e.NoEndpoints),
            Set("no-endpoint-nodeports", "type inet_proto . inet_service", e.NoEndpointNodePorts),
            Set("no-local-endpoints", "type ipv4_addr . inet_proto . inet_service", e.NoLocalEndpoints),
            Set("no-local-endpoint-nodeports", "type inet_proto . inet_service", e.NoLocalEndpointNodePorts),
            Map("affinity", "typeof ip saddr . ip daddr . th dport : ip daddr . th dport; size 1048576; flags dynamic,timeout; timeout 3h;", []),
            .. affinityTimeouts.Select(t => Set($"affinity-services-{t}", "type ipv4_addr . inet_service",
                e.AffinityServices.Where(a => a.Timeout == t).Select(a => a.Element).DistinctBy(a => a.Key).ToList())),
        ];

        List<string> chains =
        [
            Chain("prerouting", "type nat hook prerouting priority dstnat; policy accept;", "jump services"),
            Chain("output", "type nat hook output priority -100; policy accept;", "jump services"),
            Chain("postrouting", "type nat hook postrouting priority srcnat; policy accept;",
                [$"meta mark & {MasqMark} == {MasqMark} meta mark set meta mark ^ {MasqMark} masquerade fully-random comment \"service traffic requiring SNAT\"",
                 "ct status dnat ip saddr . ip daddr @hairpin masquerade fully-random comment \"hairpin: a pod reaching itself through a service\"",
                 .. node.EgressMasquerade
                     ? [$"ip saddr {node.ClusterCidr} ip daddr != {node.ClusterCidr} masquerade fully-random comment \"pod egress leaving the cluster pod range\""]
                     : Array.Empty<string>()]),
            Chain("services", null,
                node.MasqueradeAll
                    ? $"{Frontend} @cluster-ips meta mark set meta mark | {MasqMark} comment \"masquerade all traffic to cluster IPs\""
                    : $"ip saddr != {node.ClusterCidr} {Frontend} @cluster-ips meta mark set meta mark | {MasqMark} comment \"masquerade off-cluster traffic to cluster IPs\"",
                $"{Frontend} @external-masq meta mark set meta mark | {MasqMark} comment \"masquerade traffic to external IPs\"",
                "meta l4proto { tcp, udp, sctp } ip saddr . ip daddr . th dport @affinity dnat ip to ip saddr . ip daddr . th dport map @affinity comment \"ClientIP session affinity\"",
                $"{Frontend} vmap @service-ips",
                $"{LocalPort} @nodeport-masq meta mark set meta mark | {MasqMark} comment \"masquerade traffic to node ports\"",
                $"{LocalPort} vmap @service-nodeports"),
            .. Enumerable.Range(1, picks).Select(n => Chain($"pick-{n}", null,
                $"dnat ip to {Frontend} . numgen random mod {n} map @service-endpoints")),
            .. Enumerable.Range(1, picks).Select(n => Chain($"nodeport-pick-{n}", null,
                $"dnat ip to meta l4proto . th dport . numgen random mod {n} map @nodeport-endpoints")),
            Chain("record-affinity", "type filter hook prerouting priority dstnat + 1; policy accept;", [.. AffinityRecorders(affinityTimeouts)]),
            Chain("record-affinity-output", "type filter hook output priority -99; policy accept;", [.. AffinityRecorders(affinityTimeouts)]),
            Chain("filter-input", "type filter hook input priority filter - 1; policy accept;", "ct state new jump reject-services"),
            Chain("filter-forward", "type filter hook forward priority filter - 1; policy accept;", "ct state new jump reject-services"),
            Chain("filter-output", "type filter hook output priority filter - 1; policy accept;", "ct state new jump reject-services"),
            Chain("reject-services", null,
                $"{Frontend} @no-endpoints reject comment \"service has no endpoints\"",
                $"{LocalPort} @no-endpoint-nodeports reject comment \"node port has no endpoints\"",
                $"{Frontend} @no-local-endpoints drop comment \"service has no local endpoints\"",
                $"{LocalPort} @no-local-endpoint-nodeports drop comment \"node port has no local endpoints\""),
        ];
        return new NftRuleset(sets, chains);
    }

    /// <summary>Pick chains exist for 1..N endpoints, N rounded up to a multiple of 8 so the skeleton rarely changes.</summary>
    private static int PickChainCount(IReadOnlyList<ResolvedServicePort> ports)
    {
        var max = ports.Count == 0 ? 1 : ports.Max(p => p.ReachableEndpoints.Count);
        return Math.Max(8, (max + 7) / 8 * 8);
    }

    private static IEnumerable<string> AffinityRecorders(IReadOnlyList<int> timeouts) =>
        from timeout in timeouts
        from protocol in Protocols
        select $"meta l4proto {protocol} ct state new ct status dnat ct original ip daddr . ct original proto-dst @affinity-services-{timeout} " +
               $"update @affinity {{ ip saddr . ct original ip daddr . ct original proto-dst timeout {timeout}s : ip daddr . th dport }}";

    private static NftSet Set(string name, string declaration, IReadOnlyList<NftElement> elements) =>
        new("set", name, declaration.EndsWith(';') ? declaration : declaration + ";", elements);

    private static NftSet Map(string name, string declaration, IReadOnlyList<NftElement> elements) =>
        new("map", name, declaration.EndsWith(';') ? declaration : declaration + ";", elements);

    private static string Chain(string name, string? hook, params string[] rules) =>
        $"\tchain {name} {{\n" + (hook is null ? "" : $"\t\t{hook}\n") + string.Concat(rules.Select(r => $"\t\t{r}\n")) + "\t}";
}
