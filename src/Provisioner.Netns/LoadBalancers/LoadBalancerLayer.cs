using System.Net;
using Provisioner.Core.LoadBalancing;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Core.Validation;
using Provisioner.Host.Announcing;
using Provisioner.Host.Processes;

namespace Provisioner.Netns.LoadBalancers;

/// <summary>
/// LoadBalancer EXTERNAL-IPs and external IPs on the node network, announced L2-style: one live node per address
/// holds it on its loopback (labelled <see cref="LabLayout.AnnounceLabel"/>) and answers the outside client's ARP
/// (<see cref="L2Announcements"/> picks the node, <see cref="L2Announcer"/> does it). A node whose namespace is gone
/// is not live, so the next <c>up</c> (or <c>netlab step apply load-balancers</c>) moves its addresses to another.
/// A pool outside the node network is reached through an on-link route on the outside client (what the learner's
/// router would be told).
/// </summary>
public sealed class LoadBalancerLayer(LabPlan plan, LabLayout layout, ProcessRunner run, Func<string, IPAddress?> podAddress) : IStepLayer
{
    private L2Announcer Announcer(string node) => new(run, layout.NodeNamespace(node), LabLayout.AnnounceLabel);

    /// <summary>Every address some node must announce.</summary>
    public IReadOnlyList<AnnounceRequest> Requests()
    {
        var requests = new List<AnnounceRequest>();
        var address = PodAddresses.OncePerPod(podAddress);
        foreach (var service in plan.Addresses.Services)
        {
            if (service.Spec.ExternalIPs.IsDefaultOrEmpty && service.LoadBalancerIP is null)
                continue; // nothing to announce (a ClusterIP service): no endpoints to look up
            var endpointNodes = plan.Lab.Pods.Where(p => LabValidator.Selects(service.Spec, p) && address(p.Name) is not null)
                .Select(p => p.Node).ToHashSet(StringComparer.Ordinal);
            var local = service.Spec.ExternalTrafficPolicy == TrafficPolicy.Local;
            var addresses = service.Spec.ExternalIPs.Select(IPAddress.Parse).Where(plan.Addresses.NodeCidr.Contains)
                .Concat(service.LoadBalancerIP is { } lb ? [lb] : []);
            requests.AddRange(addresses.Distinct().Select(a => new AnnounceRequest(a, $"{service.Spec.Namespace}/{service.Spec.Name}", local, endpointNodes)));
        }
        return requests;
    }

    /// <summary>Who announces what now, read from the kernel (node namespaces that exist only).</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>> CurrentAsync(CancellationToken ct)
    {
        var current = new Dictionary<string, IReadOnlyList<IPAddress>>(StringComparer.Ordinal);
        foreach (var node in LiveNodes())
            current[node] = await Announcer(node).AnnouncedAsync(ct).ConfigureAwait(false);
        return current;
    }

    /// <summary>The announcement each address should have, given who announces what now.</summary>
    public IReadOnlyList<Announcement> Desired(IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> current) =>
        L2Announcements.Plan(Requests(), LiveNodes(),
            current.SelectMany(kv => kv.Value.Select(a => (a, kv.Key))).GroupBy(x => x.a).ToDictionary(g => g.Key, g => g.First().Key));

    private List<string> LiveNodes() => [.. plan.Lab.Nodes.Select(n => n.Name).Where(n => Namespaces.Exists(layout.NodeNamespace(n)))];

    public async Task<IReadOnlyList<Change>> PlanAsync(PlanStep step, CancellationToken ct)
    {
        var current = await CurrentAsync(ct).ConfigureAwait(false);
        var desired = Desired(current);
        var changes = new List<Change>();
        foreach (var (node, held) in current)
        {
            foreach (var stale in held.Where(a => !desired.Any(d => d.Node == node && d.Request.Address.Equals(a))))
                changes.Add(new Change(step.Id, $"{node} stops announcing {stale}", c => Announcer(node).WithdrawAsync(stale, c)));
        }
        foreach (var a in desired.Where(a => a.Node is not null && !current[a.Node].Contains(a.Request.Address)))
        {
            var node = a.Node!;
            changes.Add(new Change(step.Id, $"{node} answers ARP for {a.Request.Address} (service {a.Request.Service}; {a.Reason})",
                async c => await Announcer(node).AnnounceAsync(a.Request.Address, await UplinkAsync(node, c).ConfigureAwait(false), c).ConfigureAwait(false)));
        }
        if (plan.Addresses.LoadBalancerPool is { } pool && !plan.Addresses.NodeCidr.Contains(pool) && !await OutsideRouteAsync(pool, ct).ConfigureAwait(false))
            changes.Add(new Change(step.Id, $"outside client: on-link route to the LoadBalancer pool {pool} (it lies outside the node network)",
                c => run.RunAsync("ip", ["-n", layout.OutsideNamespace, "route", "replace", pool.ToString(), "dev", LabLayout.NodeInterface], cancellationToken: c)));
        return changes;
    }

    private async Task<bool> OutsideRouteAsync(IPNetwork2 pool, CancellationToken ct)
    {
        var routes = await run.TryRunAsync("ip", ["-n", layout.OutsideNamespace, "route", "show", pool.ToString()], cancellationToken: ct).ConfigureAwait(false);
        return routes.Succeeded && routes.StandardOutput.Trim().Length > 0;
    }

    /// <summary>The node's interface holding its underlay address (eth0, or the OVS bridge the userspace datapath moved it to).</summary>
    private async Task<string> UplinkAsync(string node, CancellationToken ct)
    {
        var address = plan.Addresses.Node(node).UnderlayAddress.ToString();
        var links = await LinkState.ReadAsync(run, layout.NodeNamespace(node), ct).ConfigureAwait(false);
        return links.Values.FirstOrDefault(l => l.Addresses.Any(a => a.StartsWith(address + "/", StringComparison.Ordinal)))?.Name ?? LabLayout.NodeInterface;
    }

    public async Task RemoveAsync(PlanStep step, CancellationToken ct)
    {
        foreach (var node in LiveNodes())
            await Announcer(node).RemoveAsync(ct).ConfigureAwait(false);
        if (plan.Addresses.LoadBalancerPool is { } pool && Namespaces.Exists(layout.OutsideNamespace))
            await run.TryRunAsync("ip", ["-n", layout.OutsideNamespace, "route", "del", pool.ToString()], cancellationToken: ct).ConfigureAwait(false);
    }
}
