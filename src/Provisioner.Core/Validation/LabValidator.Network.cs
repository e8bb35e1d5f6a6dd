using System.Net;
using System.Globalization;
using Provisioner.Core.Config;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using static Provisioner.Core.Config.ConfigKeys;

namespace Provisioner.Core.Validation;

public static partial class LabValidator
{
    private static void CheckNetwork(List<ConfigProblem> problems, LabConfig lab)
    {
        var n = lab.Network;
        var pod = ParseCidr(problems, NetworkKeys.Path(NetworkKeys.PodCidr), n.PodCidr, DefaultNetwork.PodCidr);
        var service = ParseCidr(problems, NetworkKeys.Path(NetworkKeys.ServiceCidr), n.ServiceCidr, DefaultNetwork.ServiceCidr);
        var node = ParseCidr(problems, NetworkKeys.Path(NetworkKeys.NodeCidr), n.NodeCidr, DefaultNetwork.NodeCidr);

        if (pod is not null)
            CheckPodSlicing(problems, lab, pod);
        if (service is not null && (service.Cidr < 12 || service.Cidr > 28))
            problems.Add(new ConfigProblem(NetworkKeys.Path(NetworkKeys.ServiceCidr), n.ServiceCidr,
                "must be between /12 (the API server's largest) and /28 (room for the DNS address .10 and services)",
                ConfigKeys.SetCommand(NetworkKeys.Path(NetworkKeys.ServiceCidr), DefaultNetwork.ServiceCidr)));
        if (node is not null && Cidr.Size(node) < AddressPlan.FirstNodeOffset + lab.Nodes.Length + 1)
            problems.Add(new ConfigProblem(NetworkKeys.Path(NetworkKeys.NodeCidr), n.NodeCidr,
                $"is too small for {lab.Nodes.Length} nodes (node addresses start at .{AddressPlan.FirstNodeOffset})",
                ConfigKeys.SetCommand(NetworkKeys.Path(NetworkKeys.NodeCidr), DefaultNetwork.NodeCidr)));

        IPNetwork2?[] ranges = [pod, service, node];
        CheckOverlap(problems, NetworkKeys.Path(NetworkKeys.ServiceCidr), service, NetworkKeys.Path(NetworkKeys.PodCidr), pod, ranges);
        CheckOverlap(problems, NetworkKeys.Path(NetworkKeys.PodCidr), pod, NetworkKeys.Path(NetworkKeys.NodeCidr), node, ranges);
        CheckOverlap(problems, NetworkKeys.Path(NetworkKeys.ServiceCidr), service, NetworkKeys.Path(NetworkKeys.NodeCidr), node, ranges);

        if (n.Vni is < 1 or > 16_777_215)
            problems.Add(new ConfigProblem(NetworkKeys.Path(NetworkKeys.Vni), Str(n.Vni), "must be a VXLAN network identifier from 1 to 16777215", ConfigKeys.SetCommand(NetworkKeys.Path(NetworkKeys.Vni), Str(DefaultNetwork.Vni))));
        var maxPodMtu = n.UnderlayMtu - Overhead.Of(n.Fabric);
        if (n.UnderlayMtu is < 1280 or > 9000)
            problems.Add(new ConfigProblem(NetworkKeys.Path(NetworkKeys.UnderlayMtu), Str(n.UnderlayMtu), "must be from 1280 to 9000", ConfigKeys.SetCommand(NetworkKeys.Path(NetworkKeys.UnderlayMtu), Str(DefaultNetwork.UnderlayMtu))));
        else if (maxPodMtu < 1280) // the pod MTU computed from it would be below what an explicit one may be
            problems.Add(new ConfigProblem(NetworkKeys.Path(NetworkKeys.UnderlayMtu), Str(n.UnderlayMtu),
                $"leaves pods {maxPodMtu} bytes after {Overhead.Of(n.Fabric)} bytes of {EnumNames.Of(n.Fabric)} encapsulation; pods need at least 1280, so the underlay at least {1280 + Overhead.Of(n.Fabric)}",
                ConfigKeys.SetCommand(NetworkKeys.Path(NetworkKeys.UnderlayMtu), Str(DefaultNetwork.UnderlayMtu))));
        if (n.Mtu != 0 && maxPodMtu >= 1280 && (n.Mtu < 1280 || n.Mtu > maxPodMtu))
            problems.Add(new ConfigProblem(NetworkKeys.Path(NetworkKeys.Mtu), Str(n.Mtu),
                $"must be from 1280 to {maxPodMtu}: the underlay MTU {n.UnderlayMtu} less {Overhead.Of(n.Fabric)} bytes of {EnumNames.Of(n.Fabric)} encapsulation, or larger packets are dropped",
                $"pulumi config set --path 'network.mtu' 0   # 0 computes it ({maxPodMtu})"));
        if (n.NodePortMin < 1 || n.NodePortMax > 65535 || n.NodePortMin > n.NodePortMax)
            problems.Add(new ConfigProblem(NetworkKeys.Path(NetworkKeys.NodePortMin), $"{n.NodePortMin}-{n.NodePortMax}", "is not a valid port range",
                "pulumi config set --path 'network.nodePortMin' 30000 && pulumi config set --path 'network.nodePortMax' 32767"));
        if (n.Fabric == FabricKind.Routed && lab.Backend == Model.Backend.Multipass && node is not null && node.Cidr < 16)
            problems.Add(new ConfigProblem(NetworkKeys.Path(NetworkKeys.Fabric), "routed",
                "routes pod subnets via node addresses, so every node must be on one L2 segment; a node range wider than /16 is unlikely to be one",
                "use fabric ovs-vxlan or linux-vxlan, or set network.nodeCidr to the VMs' actual network"));
        if (n.ServiceProxy == ServiceProxy.KubeProxy && lab.Backend == Model.Backend.Netns)
            problems.Add(new ConfigProblem(NetworkKeys.Path(NetworkKeys.ServiceProxy), "kube-proxy", "needs a Kubernetes cluster; the netns backend has none",
                ConfigKeys.SetCommand(NetworkKeys.Path(NetworkKeys.ServiceProxy), "netlab")));
        CheckExporter(problems, n);
    }

    private static void CheckPodSlicing(List<ConfigProblem> problems, LabConfig lab, IPNetwork2 pod)
    {
        var n = lab.Network;
        if (n.NodePodPrefix <= pod.Cidr || n.NodePodPrefix > 28)
        {
            problems.Add(new ConfigProblem(NetworkKeys.Path(NetworkKeys.NodePodPrefix), Str(n.NodePodPrefix),
                $"must be longer than the pod CIDR's /{pod.Cidr} and at most /28 (each node's pod subnet)",
                ConfigKeys.SetCommand(NetworkKeys.Path(NetworkKeys.NodePodPrefix), Str(DefaultNetwork.NodePodPrefix))));
            return;
        }
        var slices = 1L << (n.NodePodPrefix - pod.Cidr);
        if (lab.Nodes.Length > slices)
            problems.Add(new ConfigProblem(NetworkKeys.Path(NetworkKeys.PodCidr), n.PodCidr,
                $"holds only {slices} node subnets of /{n.NodePodPrefix}, but the stack has {lab.Nodes.Length} nodes",
                $"use a larger pod CIDR ({ConfigKeys.SetCommand(NetworkKeys.Path(NetworkKeys.PodCidr), DefaultNetwork.PodCidr)}) or a longer network.nodePodPrefix"));
        CheckPinnedPodSubnets(problems, lab, pod);
    }

    /// <summary>Each <c>nodes[i].podCidr</c>: a /nodePodPrefix slice of the pod CIDR that no other node pins.</summary>
    private static void CheckPinnedPodSubnets(List<ConfigProblem> problems, LabConfig lab, IPNetwork2 pod)
    {
        var n = lab.Network;
        var pinned = new Dictionary<string, string>(StringComparer.Ordinal); // subnet -> node
        for (var i = 0; i < lab.Nodes.Length; i++)
        {
            var node = lab.Nodes[i];
            if (node.PodCidr is null)
                continue;
            var key = $"nodes[{i}].podCidr";
            var example = Cidr.Nth(pod, (long)i << (32 - n.NodePodPrefix)) + "/" + Str(n.NodePodPrefix);
            var fix = $"{ConfigKeys.SetCommand(key, example)}, or let netlab choose a stable one: pulumi config rm --path '{key}'";
            if (!Cidr.TryParse(node.PodCidr, out var subnet, out var error))
                problems.Add(new ConfigProblem(key, node.PodCidr, error, fix));
            else if (subnet.Cidr != n.NodePodPrefix)
                problems.Add(new ConfigProblem(key, node.PodCidr, $"must be a /{n.NodePodPrefix} (network.nodePodPrefix), the size of every node's pod subnet", fix));
            else if (!pod.Contains(subnet))
                problems.Add(new ConfigProblem(key, node.PodCidr, $"is not inside network.podCidr ({n.PodCidr})", fix));
            else if (!pinned.TryAdd(subnet.ToString(), node.Name))
                problems.Add(new ConfigProblem(key, node.PodCidr, $"is also node {pinned[subnet.ToString()]}'s pod subnet; each node needs its own", fix));
        }
    }

    private static IPNetwork2? ParseCidr(List<ConfigProblem> problems, string key, string text, string example)
    {
        if (Cidr.TryParse(text, out var network, out var error))
            return network;
        problems.Add(new ConfigProblem(key, text, error, ConfigKeys.SetCommand(key, example)));
        return null;
    }

    private static void CheckOverlap(List<ConfigProblem> problems, string key, IPNetwork2? a, string otherKey, IPNetwork2? b, IPNetwork2?[] ranges)
    {
        if (a is null || b is null || !a.Overlap(b))
            return;
        // Suggest a range for the key that overlaps none of the others (the node range is the VMs' real network).
        var free = (key == NetworkKeys.Path(NetworkKeys.PodCidr) ? PodCidrChoices : ServiceCidrChoices)
            .FirstOrDefault(c => ranges.All(r => r is null || ReferenceEquals(r, a) || !IPNetwork2.Parse(c).Overlap(r)));
        problems.Add(new ConfigProblem(key, a.ToString(), $"overlaps {otherKey} ({b}); packets would be routed to the wrong place",
            free is null ? "choose ranges that do not overlap" : $"choose a range that overlaps no other: {ConfigKeys.SetCommand(key, free)}"));
    }

    private static readonly string[] PodCidrChoices = ["10.244.0.0/16", "10.200.0.0/16", "172.20.0.0/16"];
    private static readonly string[] ServiceCidrChoices = ["10.96.0.0/16", "10.112.0.0/16", "172.21.0.0/16"];

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}
