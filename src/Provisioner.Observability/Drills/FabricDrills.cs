using System.Globalization;
using Provisioner.Core.Model;
using Provisioner.Core.Verification;
using Provisioner.Netns;

namespace Provisioner.Observability.Drills;

/// <summary>Drills below the pods: the node's routes to its peers, and the underlay the tunnel rides on.</summary>
internal static class FabricDrills
{
    public static IEnumerable<Drill> For(DrillLab lab)
    {
        if (lab.NodePair is not [var from, var to])
            yield break;
        if (lab.Plan.Lab.Network.Fabric != FabricKind.OvsVxlan)
        {
            var ns = lab.NodeNs(from.Node.Name);
            yield return new Drill("lost-route",
                $"Pods on {from.Node.Name} get no answer from pods on {to.Node.Name}; pods on the same node, and pods on {to.Node.Name} calling each other, are fine.",
                nameof(Layer.Fabric),
                [new(["ip", "-n", ns, "route", "del", to.PodSubnet.ToString()])],
                [],
                UpRepairs: true,
                $"{from.Node.Name}'s route to {to.Node.Name}'s pod subnet {to.PodSubnet} was deleted (ip -n {ns} route).");
        }
        if (lab.IsTunnel)
            yield return TunnelMtu(lab, from, to);
        if (lab.Plan.Lab.Network.Fabric == FabricKind.LinuxVxlan)
            yield return StrictRpFilter(lab, from, to);
    }

    /// <summary>
    /// Strict reverse-path filtering on a path that is asymmetric. The lab has none of its own (pod to pod, NodePorts
    /// with their SNAT and LoadBalancers all return the way they came, so strict rp_filter alone breaks nothing), so the
    /// drill makes the common one: the outside client's router sends the whole pod network to one node, which tunnels it
    /// on, and the other node's pods answer straight back over the underlay. Strict mode on that node's tunnel device
    /// drops the requests: their source is reached through eth0, not through the tunnel they came in by.
    /// </summary>
    private static Drill StrictRpFilter(DrillLab lab, Core.Planning.NodeAddresses gateway, Core.Planning.NodeAddresses other)
    {
        var outside = lab.Layout.OutsideNamespace;
        var podCidr = lab.Plan.Addresses.PodCidr.ToString();
        var key = $"net.ipv4.conf.{Fabric.Model.FabricNames.VxlanDevice}.rp_filter";
        var pod = lab.UserPods.First(p => p.Node == other.Node.Name).Name;
        return new Drill("rp-filter",
            $"The outside client, whose router sends the pod network {podCidr} to {gateway.Node.Name}, reaches pods on {gateway.Node.Name} but gets " +
            $"no answer from pods on {other.Node.Name} (try `sudo netlab trace packet outside {pod}`); pods still reach each other across nodes.",
            nameof(Layer.Fabric),
            [new(["ip", "-n", outside, "route", "replace", podCidr, "via", gateway.UnderlayAddress.ToString()]),
             lab.InNode(other.Node.Name, "sysctl", "-q", "-w", $"{key}=1")],
            [lab.InNode(other.Node.Name, "sysctl", "-q", "-w", $"{key}=0"),
             new(["ip", "-n", outside, "route", "del", podCidr, "via", gateway.UnderlayAddress.ToString()])],
            UpRepairs: false,
            $"{key} was set to 1 (strict) on {other.Node.Name}. Requests from outside arrive there through the tunnel from {gateway.Node.Name}, but the " +
            $"route back to their source is {LabLayout.NodeInterface} (the underlay, where the pods' answers go, asymmetrically): strict mode drops " +
            "a packet whose source is not routed out of the interface it came in by (drop reason IP_RPFILTER). Loose mode (2) or 0 lets it through; " +
            $"`ip netns exec {lab.NodeNs(other.Node.Name)} sysctl -a | grep rp_filter` shows it. The outside route was the drill's too.");
    }

    /// <summary>
    /// The underlay carries less than the tunnel was sized for: every node's port on the underlay bridge gets the pod
    /// MTU, so a full-size pod packet plus its VXLAN header no longer fits. Nothing sends "fragmentation needed" from
    /// a bridge port, so the sender never learns: small packets pass, full-size ones vanish (a PMTU black hole).
    /// </summary>
    private static Drill TunnelMtu(DrillLab lab, Core.Planning.NodeAddresses from, Core.Planning.NodeAddresses to)
    {
        var underlay = lab.Layout.UnderlayNamespace;
        var (full, small) = (lab.Plan.Lab.Network.UnderlayMtu, lab.Plan.Addresses.PodMtu);
        string Text(int mtu) => mtu.ToString(CultureInfo.InvariantCulture);
        var ports = lab.Plan.Addresses.Nodes.Select(n => n.Node.Name).ToList();
        var pod = lab.UserPods.First(p => p.Node == from.Node.Name).Name;
        var peer = lab.UserPods.First(p => p.Node == to.Node.Name).Name;
        return new Drill("tunnel-mtu",
            $"Pods on different nodes ping each other and small requests get answers, but anything that sends full-size packets between nodes " +
            $"hangs: try `sudo netlab exec {pod} -- ping -M do -s {Text(small - 28)} <{peer}'s IP>` against a plain ping, or a large download.",
            nameof(Layer.Underlay),
            [.. ports.Select(p => new DrillCommand(["ip", "-n", underlay, "link", "set", p, "mtu", Text(small)]))],
            [.. ports.Select(p => new DrillCommand(["ip", "-n", underlay, "link", "set", p, "mtu", Text(full)]))],
            UpRepairs: false,
            $"Every node's port on the underlay bridge ({LabLayout.UnderlayBridge} in {underlay}) was set to MTU {Text(small)}, while the nodes send " +
            $"{Text(full)}-byte frames: a {Text(small)}-byte pod packet plus {Text(full - small)} bytes of VXLAN no longer fits, and an L2 hop drops it " +
            $"without telling anyone (no ICMP fragmentation-needed), so path MTU discovery never learns. `ip -n {underlay} link` shows it.");
    }
}
