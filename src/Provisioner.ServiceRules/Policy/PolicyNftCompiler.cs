using System.Text;

namespace Provisioner.ServiceRules.Policy;

/// <summary>
/// Compiles a <see cref="PolicyTable"/> for one node into the nftables table <c>ip netlab-policy</c>: its forward
/// chain accepts replies of allowed connections (conntrack) and dispatches through two verdict maps, pod address →
/// <c>jump</c> to that pod's chain: <c>egress-pods</c> (this node's egress-isolated pods, by source) and
/// <c>ingress-pods</c> (every ingress-isolated pod, by destination; see <see cref="PolicyPlacement"/>). A pod chain
/// returns on the first allowing rule (peer ranges and ports as anonymous sets) and ends in a reject. The table's
/// accept ends only this table's chain; the service table is evaluated as before.
/// </summary>
public static class PolicyNftCompiler
{
    /// <summary>The table's text, or null when no pod is isolated (then the node has no policy table at all).</summary>
    public static string? Compile(PolicyTable table, PolicyNode node)
    {
        var egress = PolicyPlacement.EgressHere(table, node).ToList();
        var ingress = PolicyPlacement.Ingress(table).ToList();
        if (egress.Count == 0 && ingress.Count == 0)
            return null;
        var text = new StringBuilder();
        text.Append("table ip ").Append(PolicyChainNames.NftTable).Append(" {\n");
        Map(text, "egress-pods", egress.Select(p => (p.Address, PolicyChainNames.Nft(p.Pod, ingress: false))));
        Map(text, "ingress-pods", ingress.Select(p => (p.Address, PolicyChainNames.Nft(p.Pod, ingress: true))));
        text.Append("\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n")
            .Append("\t\tct state established,related accept\n")
            .Append("\t\tip saddr vmap @egress-pods\n")
            .Append("\t\tip saddr ").Append(node.PodSubnet).Append(" ip daddr vmap @ingress-pods comment \"from pods of this node\"\n")
            .Append("\t\tip saddr != ").Append(node.PodCidr).Append(" ip daddr vmap @ingress-pods comment \"from outside the pod range\"\n")
            .Append("\t}\n");
        var sets = new NamedSets();
        var chains = new StringBuilder();
        foreach (var pod in egress)
            PodChain(chains, sets, PolicyChainNames.Nft(pod.Pod, ingress: false), pod, pod.Egress!, "daddr");
        foreach (var pod in ingress)
            PodChain(chains, sets, PolicyChainNames.Nft(pod.Pod, ingress: true), pod, pod.Ingress!, "saddr");
        sets.Declare(text);
        return text.Append(chains).Append("}\n").ToString();
    }

    /// <summary>The script replacing the node's policy table atomically (or removing it when <paramref name="table"/> is null).</summary>
    public static string ReplaceScript(string? table) =>
        $"table ip {PolicyChainNames.NftTable}\ndelete table ip {PolicyChainNames.NftTable}\n{table}";

    private static void Map(StringBuilder text, string name, IEnumerable<(string Address, string Chain)> elements)
    {
        var list = elements.ToList();
        text.Append("\tmap ").Append(name).Append(" {\n\t\ttype ipv4_addr : verdict\n");
        if (list.Count > 0)
            text.Append("\t\telements = { ").Append(string.Join(", ", list.Select(e => $"{e.Address} : jump {e.Chain}"))).Append(" }\n");
        text.Append("\t}\n");
    }

    private static void PodChain(StringBuilder text, NamedSets sets, string chain, PodPolicyRules pod, DirectionRules direction, string peerField)
    {
        text.Append("\tchain ").Append(chain).Append(" {\n");
        text.Append("\t\tip ").Append(peerField).Append(' ').Append(pod.Address).Append(" return comment \"a pod may always reach itself\"\n");
        foreach (var allow in direction.Allows)
        {
            if (allow.Peers is { IsEmpty: true })
                continue; // a selector that matches no pod admits nobody; nor may it leave an empty set behind (nft refuses `elements = { }`)
            var peers = allow.Peers is { } list ? $"ip {peerField} {sets.Of(list, "ipv4_addr")} " : "";
            var ports = allow.Ports.IsEmpty ? [""] : allow.Ports.GroupBy(p => p.Protocol).Select(g => g.Any(p => p.From is null)
                ? $"meta l4proto {g.Key} "
                : $"meta l4proto {g.Key} th dport {sets.Of([.. g.Select(p => p.To is { } to && to != p.From ? $"{p.From}-{to}" : $"{p.From}")], "inet_service")} ");
            foreach (var port in ports)
                text.Append("\t\t").Append(peers).Append(port).Append("return comment \"").Append(PolicyComments.Bounded(allow.Rule)).Append("\"\n");
        }
        text.Append("\t\treject with icmp type admin-prohibited comment \"").Append(PolicyComments.IsolatedBy(direction.IsolatedBy)).Append("\"\n\t}\n");
    }

    /// <summary>
    /// Peer and port lists as named sets, one per distinct list, shared by every rule that uses it: a policy admitting
    /// one group into 100 pods is one set, not 100 anonymous ones (nft 1.0.6 took over a minute to load 5000 of those).
    /// </summary>
    private sealed class NamedSets
    {
        private readonly Dictionary<string, (string Name, string Type, IReadOnlyList<string> Items)> _sets = new(StringComparer.Ordinal);

        public string Of(IReadOnlyList<string> items, string type)
        {
            if (items.Count == 1)
                return items[0];
            var key = type + " " + string.Join(",", items);
            if (!_sets.TryGetValue(key, out var set))
            {
                var prefix = type == "ipv4_addr" ? "peers-" : "ports-";
                set = (prefix + Naming.ChainNames.PortProtoHash(key, "")[..10].ToLowerInvariant(), type, items);
                _sets[key] = set;
            }
            return "@" + set.Name;
        }

        public void Declare(StringBuilder text)
        {
            foreach (var (name, type, items) in _sets.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
                text.Append("\tset ").Append(name).Append(" {\n\t\ttype ").Append(type).Append("\n\t\tflags interval\n\t\tauto-merge\n\t\telements = { ")
                    .Append(string.Join(", ", items)).Append(" }\n\t}\n");
        }
    }
}
