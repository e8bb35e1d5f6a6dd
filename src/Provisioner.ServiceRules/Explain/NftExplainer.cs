using System.Globalization;
using System.Text;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Nftables;

namespace Provisioner.ServiceRules.Explain;

/// <summary>Explains one service port in the map-based nftables table: which map elements a packet's key finds.</summary>
internal static class NftExplainer
{
    public static void Explain(StringBuilder text, ResolvedServicePort port, NftRuleset ruleset)
    {
        var sets = ruleset.Sets.ToDictionary(s => s.Name, s => s.Elements, StringComparer.Ordinal);
        text.Append("\nnftables (nft list table ip netlab):\n");
        text.Append("  chain prerouting (a pod's packet) / chain output (this node's own) -> jump services\n");
        Frontend(text, port, sets, $"{port.ClusterIP} . {port.Protocol} . {port.Port.Port}", "cluster IP", "service-ips", "service-endpoints", "pick");
        foreach (var address in port.ExternalAddresses)
            Frontend(text, port, sets, $"{address} . {port.Protocol} . {port.Port.Port}", "external address", "service-ips", "service-endpoints", "pick");
        if (port.Port.NodePort is { } nodePort)
            Frontend(text, port, sets, $"{port.Protocol} . {nodePort}", "node port (fib daddr type local)", "service-nodeports", "nodeport-endpoints", "nodeport-pick");
        text.Append("  chain postrouting: masquerade packets marked 0x4000, and hairpin packets (ip saddr . ip daddr in @hairpin)\n");
    }

    private static void Frontend(StringBuilder text, ResolvedServicePort port, Dictionary<string, IReadOnlyList<NftElement>> sets,
        string key, string what, string dispatchMap, string endpointMap, string pickPrefix)
    {
        text.Append(CultureInfo.InvariantCulture, $"\n  To the {what}, key {key}:\n");
        foreach (var (set, effect) in new[]
                 {
                     ("cluster-ips", "marked for masquerade when the client is outside the pod CIDR"),
                     ("external-masq", "marked for masquerade (externalTrafficPolicy Cluster)"),
                     ("nodeport-masq", "marked for masquerade (externalTrafficPolicy Cluster)"),
                     ("no-endpoints", "REJECTED in chain reject-services: no ready endpoint"),
                     ("no-endpoint-nodeports", "REJECTED in chain reject-services: no ready endpoint"),
                     ("no-local-endpoints", "DROPPED in chain reject-services: no endpoint on this node"),
                     ("no-local-endpoint-nodeports", "DROPPED in chain reject-services: no endpoint on this node"),
                 })
        {
            if (Find(sets, set, key) is { } element)
                text.Append(CultureInfo.InvariantCulture, $"    @{set} has {element.Text}: {effect}\n");
        }
        if (Find(sets, dispatchMap, key) is not { Value: { } verdict } dispatch)
            return;
        if (port.Affinity)
            text.Append(CultureInfo.InvariantCulture, $"    chain services: a client in @affinity (ip saddr . ip daddr . th dport) goes back to its endpoint for {port.Service.SessionAffinityTimeoutSeconds}s\n");
        text.Append(CultureInfo.InvariantCulture, $"    chain services: vmap @{dispatchMap} finds {dispatch.Text}\n");
        var count = int.Parse(verdict[(verdict.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture);
        text.Append(CultureInfo.InvariantCulture, $"    chain {pickPrefix}-{count}: dnat ip to <key> . numgen random mod {count} map @{endpointMap}\n");
        for (var i = 0; i < count; i++)
        {
            if (Find(sets, endpointMap, $"{key} . {i}") is { } endpoint)
                text.Append(CultureInfo.InvariantCulture, $"      {endpoint.Text}   [probability {ServiceExplainer.Share(count)}]\n");
        }
    }

    private static NftElement? Find(Dictionary<string, IReadOnlyList<NftElement>> sets, string set, string key) =>
        sets.GetValueOrDefault(set)?.FirstOrDefault(e => e.Key == key);
}
