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
        ArgumentNullException.ThrowIfNull(table);
        return Assemble([.. table.Services.Where(s => !s.IsDnsOnly).OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => Fragment(s, node))], node);
    }

    /// <summary>What one service contributes (its elements, the pick chains and affinity timeouts it needs): it depends
    /// on the service and the node alone, so the engine compiles only the services that changed.</summary>
    public static NftFragment Fragment(Service service, NodeContext node)
    {
        var ports = ServiceResolver.ResolveService(service, node);
        var e = new NftElements(node);
        foreach (var sp in ports)
            e.Add(sp);
        return new NftFragment(e.BySet(), ports.Count == 0 ? 0 : ports.Max(p => p.ReachableEndpoints.Count),
            [.. ports.Where(p => p.Affinity).Select(p => p.Service.SessionAffinityTimeoutSeconds).Distinct()]);
    }

    /// <summary>The table of <paramref name="fragments"/> (in service-key order): the skeleton they need, and each set's
    /// elements in fragment order (the shared sets, <see cref="IsShared"/>, without repeats).</summary>
    public static NftRuleset Assemble(IReadOnlyList<NftFragment> fragments, NodeContext node)
    {
        ArgumentNullException.ThrowIfNull(fragments);
        var skeleton = Skeleton(node, fragments.Count == 0 ? 0 : fragments.Max(f => f.MaxEndpoints), fragments.SelectMany(f => f.AffinityTimeouts));
        List<NftSet> sets = [.. skeleton.Sets.Select(set =>
        {
            var elements = fragments.SelectMany(f => f.Elements.GetValueOrDefault(set.Name) ?? []);
            return set with { Elements = [.. IsShared(set.Name) ? elements.DistinctBy(e => e.Key) : elements] };
        })];
        return skeleton with { Sets = sets };
    }

    /// <summary>Sets several services may put the same element in (a pod behind two services, two services with one
    /// affinity frontend): the table holds such an element once, for as long as any service puts it there.</summary>
    public static bool IsShared(string set) => set == "hairpin" || set.StartsWith(AffinityServicesPrefix, StringComparison.Ordinal);

    private const string AffinityServicesPrefix = "affinity-services-";

    /// <summary>The sets and chains without elements: they depend on the node, the most endpoints of any port (pick
    /// chains) and the affinity timeouts in use, so a service change rarely changes them.</summary>
    public static NftRuleset Skeleton(NodeContext node, int maxEndpoints, IEnumerable<int> affinityTimeoutsInUse)
    {
        ArgumentNullException.ThrowIfNull(node);
        var picks = Math.Max(8, (maxEndpoints + 7) / 8 * 8); // rounded up to a multiple of 8 so the skeleton rarely changes
        var affinityTimeouts = affinityTimeoutsInUse.Distinct().Order().ToList();
        List<NftSet> sets =
        [
            Set("cluster-ips", "type ipv4_addr . inet_proto . inet_service"),
            Set("external-masq", "type ipv4_addr . inet_proto . inet_service"),
            Set("nodeport-masq", "type inet_proto . inet_service"),
            Map("service-ips", "type ipv4_addr . inet_proto . inet_service : verdict"),
            Map("service-nodeports", "type inet_proto . inet_service : verdict"),
            Map("service-endpoints", "typeof ip daddr . meta l4proto . th dport . numgen random mod 1 : ip daddr . th dport"),
            Map("nodeport-endpoints", "typeof meta l4proto . th dport . numgen random mod 1 : ip daddr . th dport"),
            Set("hairpin", "typeof ip saddr . ip daddr"),
            Set("no-endpoints", "type ipv4_addr . inet_proto . inet_service"),
            Set("no-endpoint-nodeports", "type inet_proto . inet_service"),
            Set("no-local-endpoints", "type ipv4_addr . inet_proto . inet_service"),
            Set("no-local-endpoint-nodeports", "type inet_proto . inet_service"),
            Map("affinity", "typeof ip saddr . ip daddr . th dport : ip daddr . th dport; size 1048576; flags dynamic,timeout; timeout 3h;"),
            .. affinityTimeouts.Select(t => Set(AffinityServicesPrefix + t.ToString(System.Globalization.CultureInfo.InvariantCulture), "type ipv4_addr . inet_service")),
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
                // an affinity hit is DNATed by the next rule, before the node-port mark further down: mark it here
                $"{LocalPort} @nodeport-masq ip saddr . ip daddr . th dport @affinity meta mark set meta mark | {MasqMark} comment \"masquerade node-port traffic with session affinity\"",
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

    private static IEnumerable<string> AffinityRecorders(IReadOnlyList<int> timeouts) =>
        from timeout in timeouts
        from protocol in Protocols
        select $"meta l4proto {protocol} ct state new ct status dnat ct original ip daddr . ct original proto-dst @{AffinityServicesPrefix}{timeout} " +
               $"update @affinity {{ ip saddr . ct original ip daddr . ct original proto-dst timeout {timeout}s : ip daddr . th dport }}";

    private static NftSet Set(string name, string declaration) =>
        new("set", name, declaration.EndsWith(';') ? declaration : declaration + ";", []);

    private static NftSet Map(string name, string declaration) =>
        new("map", name, declaration.EndsWith(';') ? declaration : declaration + ";", []);

    private static string Chain(string name, string? hook, params string[] rules) =>
        $"\tchain {name} {{\n" + (hook is null ? "" : $"\t\t{hook}\n") + string.Concat(rules.Select(r => $"\t\t{r}\n")) + "\t}";
}
