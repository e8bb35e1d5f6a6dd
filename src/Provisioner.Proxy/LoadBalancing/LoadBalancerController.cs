using System.Net;
using System.Text.Json.Nodes;
using Provisioner.Core.LoadBalancing;
using Provisioner.Core.Planning;
using Provisioner.Host.Announcing;
using Provisioner.Host.Processes;
using Provisioner.Proxy.Config;
using Provisioner.Proxy.Tracking;

namespace Provisioner.Proxy.LoadBalancing;

/// <summary>Writes one service's status subresource with a JSON merge patch (the Kubernetes client on a node).</summary>
public delegate Task StatusPatcher(string @namespace, string name, string mergePatch, CancellationToken ct);

/// <summary>
/// netlab-proxy's MetalLB: on the allocating node (<see cref="ProxyConfigFile.LoadBalancerAllocator"/>) it writes
/// each LoadBalancer's <c>status.loadBalancer.ingress</c>; on every node it holds, on <c>lo</c> labelled
/// <see cref="Label"/>, exactly the addresses <see cref="AnnouncementChoice"/> gives this node, with a gratuitous ARP
/// for each new one, and withdraws the rest. Run by its own bounded-frequency runner on every API change.
/// </summary>
public sealed class LoadBalancerController(
    string nodeName, ProxyConfigFile config, ChangeTracker tracker, StatusPatcher patch, ProcessRunner run, string? netns, Action<string> log)
{
    /// <summary>The label of announced addresses: the netns lab's, so <c>ip addr show label lo:netlab-lb</c> works on both.</summary>
    public const string Label = "lo:netlab-lb";

    private readonly IPNetwork2? _pool = config.LoadBalancerCidr is { } cidr ? IPNetwork2.Parse(cidr) : null;
    private readonly L2Announcer _announcer = new(run, netns, Label);
    private readonly Dictionary<string, (string Version, string Patch)> _written = new(StringComparer.Ordinal);

    /// <summary>One pass: the status written (allocator only), then this node's addresses converged. Every pass reads
    /// the link's addresses, so it also repairs an address deleted by hand.</summary>
    public async Task SyncAsync(CancellationToken ct)
    {
        var view = tracker.LoadBalancing();
        if (config.LoadBalancerAllocator && _pool is not null)
            await WriteStatusAsync(view, _pool, ct).ConfigureAwait(false);
        var uplink = await UplinkAsync(view.NodeIPs, ct).ConfigureAwait(false);
        var mine = AnnouncementChoice.Plan(view, _pool, uplink?.Network).Where(a => a.Node == nodeName).ToList();
        var held = await _announcer.AnnouncedAsync(ct).ConfigureAwait(false);
        foreach (var stale in held.Where(a => !mine.Any(m => m.Request.Address.Equals(a))))
        {
            await _announcer.WithdrawAsync(stale, ct).ConfigureAwait(false);
            log($"stops announcing {stale}");
        }
        foreach (var announcement in mine.Where(m => !held.Contains(m.Request.Address)))
        {
            if (uplink is null)
            {
                log($"cannot announce {announcement.Request.Address}: no interface holds the node address {string.Join(",", view.NodeIPs)}");
                continue;
            }
            await _announcer.AnnounceAsync(announcement.Request.Address, uplink.Value.Link, ct).ConfigureAwait(false);
            log($"answers ARP for {announcement.Request.Address} on {uplink.Value.Link} (service {announcement.Request.Service}; {announcement.Reason})");
        }
    }

    /// <summary>Withdraws every announced address (<c>--cleanup</c>).</summary>
    public Task RemoveAsync(CancellationToken ct) => _announcer.RemoveAsync(ct);

    private async Task WriteStatusAsync(LoadBalancingView view, IPNetwork2 pool, CancellationToken ct)
    {
        var versions = view.Services.ToDictionary(s => s.Key, s => s.Api.Metadata.ResourceVersion ?? "", StringComparer.Ordinal);
        foreach (var change in IngressAllocation.Plan(view, pool))
        {
            var body = change.MergePatch();
            // Written already, and the watch has not yet brought the service back: writing again would only repeat it.
            if (_written.TryGetValue(change.Key, out var last) && last == (versions[change.Key], body))
                continue;
            await patch(change.Namespace, change.Name, body, ct).ConfigureAwait(false);
            _written[change.Key] = (versions[change.Key], body);
            log($"status written: {change}");
        }
        foreach (var gone in _written.Keys.Where(k => !versions.ContainsKey(k)).ToList())
            _written.Remove(gone);
    }

    /// <summary>The interface holding the node's address and the network it is on (the segment whose ARP it answers).</summary>
    private async Task<(string Link, IPNetwork2 Network)?> UplinkAsync(IReadOnlyList<string> nodeIPs, CancellationToken ct)
    {
        var args = netns is null ? new[] { "-j", "-4", "addr", "show" } : ["-n", netns, "-j", "-4", "addr", "show"];
        var result = await run.TryRunAsync("ip", args, cancellationToken: ct).ConfigureAwait(false);
        if (!result.Succeeded || result.StandardOutput.Trim().Length == 0)
            return null;
        foreach (var link in JsonNode.Parse(result.StandardOutput)?.AsArray() ?? [])
        {
            foreach (var address in link?["addr_info"]?.AsArray() ?? [])
            {
                var local = address?["local"]?.GetValue<string>();
                if (local is not null && nodeIPs.Contains(local) && address!["prefixlen"]?.GetValue<int>() is { } prefix)
                    return (link!["ifname"]!.GetValue<string>(), IPNetwork2.Parse(local, (byte)prefix));
            }
        }
        return null;
    }
}
