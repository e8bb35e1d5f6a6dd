using System.Net;
using Provisioner.Core.Config;
using Provisioner.Core.LoadBalancing;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using static Provisioner.Core.Config.ConfigKeys;

namespace Provisioner.Core.Validation;

public static partial class LabValidator
{
    private static void CheckLoadBalancers(List<ConfigProblem> problems, LabConfig lab)
    {
        var n = lab.Network;
        var key = NetworkKeys.Path(NetworkKeys.LoadBalancerCidr);
        IPNetwork2? pool = null;
        if (n.LoadBalancerCidr is { } text)
            pool = ParseCidr(problems, key, text, "192.168.64.240/28");
        else
            pool = LoadBalancerAllocator.Pool(n);
        var node = Cidr.TryParse(n.NodeCidr, out var parsedNode, out _) ? parsedNode : null;
        var balancers = lab.Services.Select((s, i) => (s, i)).Where(x => x.s.Type == ServiceType.LoadBalancer).ToList();

        if (pool is null)
        {
            if (n.LoadBalancerCidr is null && balancers.Count > 0 && node is not null)
                problems.Add(new ConfigProblem(key, null,
                    $"has no default: the node network {node} is smaller than a /{LoadBalancerAllocator.DefaultPoolPrefix - 1}, so LoadBalancer services would get no EXTERNAL-IP",
                    ConfigKeys.SetCommand(key, "192.168.64.240/28") + " (a slice of the node network, or a range of its own)"));
            return;
        }
        if (n.LoadBalancerCidr is not null)
            CheckPoolPlacement(problems, lab, pool, node);

        var used = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (service, i) in balancers)
        {
            if (service.LoadBalancerIP is not { } ip || !Cidr.TryParseAddress(ip, out var address))
                continue; // absent: allocated; not an address: reported with the service
            var ipKey = $"services[{i}].loadBalancerIP";
            if (!pool.Contains(address))
                problems.Add(new ConfigProblem(ipKey, ip, $"is outside the LoadBalancer pool {pool} ({key}), so no node would announce it",
                    $"remove it to have one allocated, or pick one inside {pool}"));
            else if (used.TryGetValue(ip, out var other))
                problems.Add(new ConfigProblem(ipKey, ip, $"is already the address of LoadBalancer service {other}", "remove it to have one allocated"));
            used[ip] = service.Name;
        }
        if (balancers.Count > LoadBalancerAllocator.Room(pool))
            problems.Add(new ConfigProblem(key, pool.ToString(),
                $"has room for {LoadBalancerAllocator.Room(pool)} LoadBalancer addresses, but {balancers.Count} services need one",
                ConfigKeys.SetCommand(key, "a larger range")));

        for (var i = 0; i < lab.Services.Length; i++)
        {
            for (var j = 0; j < lab.Services[i].ExternalIPs.Length; j++)
            {
                var ip = lab.Services[i].ExternalIPs[j];
                if (Cidr.TryParseAddress(ip, out var address) && node is not null && ReservedOnNodeNetwork(lab, node).Contains(address))
                    problems.Add(new ConfigProblem($"services[{i}].externalIPs[{j}]", ip,
                        "is a node's or the outside client's own address on the node network; announcing it would take that address away",
                        $"pick a free address of {node}, e.g. {Cidr.Nth(node, Cidr.Size(node) - 20)}"));
            }
        }
    }

    /// <summary>No overlap with the pod or service range; with the node network only as a slice of it (the L2 case).</summary>
    private static void CheckPoolPlacement(List<ConfigProblem> problems, LabConfig lab, IPNetwork2 pool, IPNetwork2? node)
    {
        var key = NetworkKeys.Path(NetworkKeys.LoadBalancerCidr);
        var n = lab.Network;
        foreach (var (otherKey, text) in new[] { (NetworkKeys.Path(NetworkKeys.PodCidr), n.PodCidr), (NetworkKeys.Path(NetworkKeys.ServiceCidr), n.ServiceCidr) })
        {
            if (Cidr.TryParse(text, out var other, out _) && other.Overlap(pool))
                problems.Add(new ConfigProblem(key, pool.ToString(), $"overlaps {otherKey} ({other}); an EXTERNAL-IP must be an address the cluster does not route itself",
                    ConfigKeys.SetCommand(key, "192.168.64.240/28") + " (a slice of the node network)"));
        }
        if (node is null || !node.Overlap(pool))
            return;
        if (!node.Contains(pool) || node.Cidr == pool.Cidr)
        {
            problems.Add(new ConfigProblem(key, pool.ToString(), $"overlaps the node network {node} without being a slice of it",
                ConfigKeys.SetCommand(key, Cidr.Nth(node, Cidr.Size(node) - 16) + "/28") + " (the last 16 addresses of the node network)"));
            return;
        }
        var taken = ReservedOnNodeNetwork(lab, node).Where(pool.Contains).ToList();
        if (taken.Count > 0)
            problems.Add(new ConfigProblem(key, pool.ToString(),
                $"holds {string.Join(", ", taken)}, the outside client's or a node's address (nodes are .{AddressPlan.FirstNodeOffset} onwards)",
                ConfigKeys.SetCommand(key, Cidr.Nth(node, Cidr.Size(node) - 16) + "/28")));
    }

    /// <summary>The addresses a netns lab gives the outside client and the nodes on the node network.</summary>
    private static IEnumerable<IPAddress> ReservedOnNodeNetwork(LabConfig lab, IPNetwork2 node) =>
        [Cidr.Nth(node, 1), .. lab.Nodes.Select((_, i) => Cidr.Nth(node, AddressPlan.FirstNodeOffset + i))];
}
