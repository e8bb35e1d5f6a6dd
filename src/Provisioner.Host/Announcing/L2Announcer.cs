using System.Net;
using Provisioner.Host.Iproute;
using Provisioner.Host.Processes;

namespace Provisioner.Host.Announcing;

/// <summary>
/// Makes one node answer ARP for a set of addresses, as MetalLB's L2 speaker does: each address is a /32 on the
/// loopback link, labelled <paramref name="label"/> so netlab finds its own (the way kube-proxy's IPVS mode holds
/// service addresses on a local link, kube-ipvs0; a dummy link would need the dummy module, which not every kernel
/// has). The kernel then answers ARP for it on the node's network interface (arp_ignore 0: any local address) and
/// hands its packets to the service rules, whose DNAT in PREROUTING takes them to an endpoint. A gratuitous ARP on
/// each new address moves neighbours' caches at once after a failover. <paramref name="netns"/> null is the host's
/// own namespace (a VM node).
/// </summary>
public sealed class L2Announcer(ProcessRunner run, string? netns, string label)
{
    private const string LinkName = "lo";

    private string[] Ip(params string[] args) => netns is null ? args : ["-n", netns, .. args];

    /// <summary>The addresses announced now (empty when the link does not exist).</summary>
    public async Task<IReadOnlyList<IPAddress>> AnnouncedAsync(CancellationToken ct = default)
    {
        var result = await run.TryRunAsync("ip", Ip("-j", "addr", "show", "dev", LinkName, "label", label), cancellationToken: ct).ConfigureAwait(false);
        if (!result.Succeeded)
            return [];
        return [.. IpAddrJson.Parse(result.StandardOutput).SelectMany(l => l.Ipv4).Where(a => a.Label == label).Select(a => IPAddress.Parse(a.Local))];
    }

    /// <summary>Announces <paramref name="address"/>, then tells the segment with a gratuitous ARP from <paramref name="uplink"/>.</summary>
    public async Task AnnounceAsync(IPAddress address, string uplink, CancellationToken ct = default)
    {
        await run.RunAsync("ip", Ip("addr", "replace", $"{address}/32", "dev", LinkName, "label", label), cancellationToken: ct).ConfigureAwait(false);
        GratuitousArp.Send(netns is null ? null : $"/run/netns/{netns}", uplink, address);
    }

    public Task WithdrawAsync(IPAddress address, CancellationToken ct = default) =>
        run.TryRunAsync("ip", Ip("addr", "del", $"{address}/32", "dev", LinkName), cancellationToken: ct);

    /// <summary>Withdraws every address it announced; safe when there are none.</summary>
    public Task RemoveAsync(CancellationToken ct = default) => run.TryRunAsync("ip", Ip("addr", "flush", "dev", LinkName, "label", label), cancellationToken: ct);
}
