using System.Net;
using k8s.Models;
using Provisioner.Core.LoadBalancing;
using Provisioner.Proxy.Tracking;
using Provisioner.ServiceRules.Model;

namespace Provisioner.Proxy.LoadBalancing;

/// <summary>
/// Which node answers ARP for each address, computed alike by every node's proxy from the same API state (so they
/// agree without talking to each other): the LoadBalancer EXTERNAL-IPs of the pool and the externalIPs on the node
/// network, each given by <see cref="L2Announcements"/> to one live node (with externalTrafficPolicy Local, one with an
/// endpoint). Live: its Node exists, its Ready condition is not False or Unknown, and it is not labelled
/// <c>node.kubernetes.io/exclude-from-external-load-balancers</c>. No stickiness (a node knows only what it holds
/// itself), as MetalLB's L2 mode: the hash order alone decides, so a recovered node takes its addresses back.
/// </summary>
public static class AnnouncementChoice
{
    public const string ExcludeLabel = "node.kubernetes.io/exclude-from-external-load-balancers";

    public static IReadOnlyList<Announcement> Plan(LoadBalancingView view, IPNetwork2? pool, IPNetwork2? nodeNetwork)
    {
        var requests = new List<AnnounceRequest>();
        foreach (var balanced in view.Services.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var service = balanced.Service;
            var endpointNodes = service.Endpoints.Where(e => e.NodeName is not null).Select(e => e.NodeName!).ToHashSet(StringComparer.Ordinal);
            var local = service.ExternalTrafficPolicy == TrafficPolicy.Local;
            var addresses = service.ExternalIPs.Select(Parse).Where(a => a is not null && nodeNetwork?.Contains(a) == true)
                .Concat(IngressAllocation.Ours(balanced) ? service.LoadBalancerIPs.Select(Parse).Where(a => a is not null && pool?.Contains(a) == true) : [])
                .Select(a => a!).Distinct();
            requests.AddRange(addresses.Select(a => new AnnounceRequest(a, balanced.Key, local, endpointNodes)));
        }
        var live = view.Nodes.Where(Live).Select(n => n.Metadata.Name).Order(StringComparer.Ordinal).ToList();
        return L2Announcements.Plan(requests, live, new Dictionary<IPAddress, string>());
    }

    public static bool Live(V1Node node)
    {
        if (node.Metadata.DeletionTimestamp is not null || node.Metadata.Labels?.ContainsKey(ExcludeLabel) == true)
            return false;
        var ready = node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
        return ready is null || ready.Status == "True";
    }

    private static IPAddress? Parse(string text) => IPAddress.TryParse(text, out var a) ? a : null;
}
