using System.Globalization;
using System.Text;
using Provisioner.Core.Verification;
using Provisioner.Host.Iproute;

namespace Provisioner.Observability.Drills;

/// <summary>Drills in a node's kernel: bridge netfilter and the connection-tracking table.</summary>
internal static class NodeDrills
{
    /// <summary>The conntrack mark of the entries the conntrack drill adds ("NLD"), so stopping it deletes exactly those.</summary>
    public const string FillMark = "0x4e4c44";

    public static IEnumerable<Drill> For(DrillLab lab)
    {
        // The node whose pods call a service with an endpoint on the same node: cluster DNS runs on the control plane.
        var node = lab.Plan.Lab.ControlPlane.Name;
        var client = lab.UserPods.FirstOrDefault(p => p.Node == node);
        if (client is null)
            yield break;
        var others = lab.Plan.Addresses.Nodes.Where(n => n.Node.Name != node).Select(n => n.Node.Name).ToList();
        yield return new Drill("bridge-netfilter",
            $"From pods on {node}, calls to a service hang whenever the service picks a pod on {node} (and DNS lookups time out), while the same " +
            $"service answers every time from pods on {(others.Count == 0 ? "other nodes" : string.Join(", ", others))}, and pods answer when called directly.",
            nameof(Layer.NodeBridge),
            [lab.InNode(node, "sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=0")],
            [lab.InNode(node, "sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=1")],
            UpRepairs: true,
            $"net.bridge.bridge-nf-call-iptables was set to 0 in {lab.NodeNs(node)} (br_netfilter is built into this kernel; the switch is per " +
            "namespace). A reply from a pod to a pod on the same bridge is then switched, never seen by netfilter, so the service's DNAT is not " +
            "undone and the client gets an answer from an address it never called. kube-proxy requires it; `netlab up` sets it again.");
        yield return new Drill("conntrack-full",
            $"Every new connection through {node} fails: pods on {node} cannot even ping their gateway, nothing new reaches them, " +
            $"and calls from other nodes to services answered on {node} hang; the pods on the other nodes talk to each other as before.",
            nameof(Layer.Conntrack),
            // A full table keeps dropping only while none of its entries may be evicted early: a single unassured entry of
            // the lab's own would give its slot to each new flow in turn. So: no entries of the lab's, then only assured ones.
            [lab.InNode(node, "conntrack", "-F") with { MayFail = true },
             lab.InNode(node, "conntrack", "-R", "-") with { Stdin = (run, ct) => FillAsync(run, lab.NodeNs(node), 240, ct), MayFail = true },
             lab.InNode(node, "conntrack", "-D", "-m", "0") with { MayFail = true }, // what the lab's traffic made in the meantime
             lab.InNode(node, "conntrack", "-R", "-") with { Stdin = (run, ct) => FillAsync(run, lab.NodeNs(node), 241, ct), MayFail = true }],
            [lab.InNode(node, "conntrack", "-D", "-m", FillMark)],
            UpRepairs: false,
            $"{node}'s connection-tracking table was filled to nf_conntrack_max with idle, assured entries (mark {FillMark}); the kernel then drops " +
            $"every packet that would need a new entry (\"nf_conntrack: table full, dropping packet\"). nf_conntrack_max is global on this kernel " +
            $"(read-only in a namespace) but the count is per namespace: `ip netns exec {lab.NodeNs(node)} conntrack -C` against " +
            "`sysctl net.netfilter.nf_conntrack_max`.");
    }

    /// <summary>
    /// <c>conntrack -R</c> input for as many established, assured entries as the table has room for (assured ones are
    /// never evicted early), between addresses no lab uses (240.0.0.0/4), with a day's timeout. A few more than the room:
    /// flows of the lab take slots meanwhile, and the entries the full table refuses fail harmlessly.
    /// </summary>
    private static async Task<string> FillAsync(Host.Processes.ProcessRunner run, string netns, int firstOctet, CancellationToken ct)
    {
        async Task<long> Read(string key) => long.Parse((await run.RunAsync(NetnsExec.Ip, NetnsExec.Command(netns, ["cat", $"/proc/sys/net/netfilter/{key}"]),
            cancellationToken: ct).ConfigureAwait(false)).StandardOutput.Trim(), CultureInfo.InvariantCulture);
        var room = await Read("nf_conntrack_max").ConfigureAwait(false) - await Read("nf_conntrack_count").ConfigureAwait(false) + 256;
        var text = new StringBuilder();
        for (long i = 0; i < room; i++)
            text.Append(CultureInfo.InvariantCulture, $"-I -s {firstOctet}.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255} -d 240.255.255.254 -p tcp --sport {1024 + (i % 60000)} --dport 9 --state ESTABLISHED --status ASSURED,SEEN_REPLY --timeout 86400 -m {FillMark}\n");
        return text.ToString();
    }
}
