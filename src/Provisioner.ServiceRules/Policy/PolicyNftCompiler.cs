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
        foreach (var pod in egress)
            PodChain(text, PolicyChainNames.Nft(pod.Pod, ingress: false), pod, pod.Egress!, "daddr");
        foreach (var pod in ingress)
            PodChain(text, PolicyChainNames.Nft(pod.Pod, ingress: true), pod, pod.Ingress!, "saddr");
        return text.Append("}\n").ToString();
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

    private static void PodChain(StringBuilder text, string chain, PodPolicyRules pod, DirectionRules direction, string peerField)
    {
        text.Append("\tchain ").Append(chain).Append(" {\n");
        text.Append("\t\tip ").Append(peerField).Append(' ').Append(pod.Address).Append(" return comment \"a pod may always reach itself\"\n");
        foreach (var allow in direction.Allows)
        {
            var peers = allow.Peers is { } list ? $"ip {peerField} {Set(list)} " : "";
            if (allow.Peers is { IsEmpty: true })
                continue;
            var ports = allow.Ports.IsEmpty ? [""] : allow.Ports.GroupBy(p => p.Protocol).Select(g => g.Any(p => p.From is null)
                ? $"meta l4proto {g.Key} "
                : $"meta l4proto {g.Key} th dport {Set([.. g.Select(p => p.To is { } to && to != p.From ? $"{p.From}-{to}" : $"{p.From}")])} ");
            foreach (var port in ports)
                text.Append("\t\t").Append(peers).Append(port).Append("return comment \"").Append(PolicyComments.Bounded(allow.Rule)).Append("\"\n");
        }
        text.Append("\t\treject with icmp type admin-prohibited comment \"").Append(PolicyComments.IsolatedBy(direction.IsolatedBy)).Append("\"\n\t}\n");
    }

    private static string Set(IReadOnlyList<string> items) => items.Count == 1 ? items[0] : "{ " + string.Join(", ", items) + " }";
}
