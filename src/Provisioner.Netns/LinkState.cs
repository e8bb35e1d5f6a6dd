using Provisioner.Host.Iproute;
using Provisioner.Host.Processes;

namespace Provisioner.Netns;

/// <summary>A namespace's links and IPv4 addresses as <c>ip -j addr show</c> reports them.</summary>
public sealed record LinkState(string Name, bool Up, int Mtu, string? Master, IReadOnlyList<string> Addresses)
{
    /// <summary>Reads every link of a namespace in one call; empty when the namespace does not exist.</summary>
    public static async Task<IReadOnlyDictionary<string, LinkState>> ReadAsync(ProcessRunner run, string netns, CancellationToken ct = default)
    {
        if (!Namespaces.Exists(netns))
            return new Dictionary<string, LinkState>();
        var result = await run.RunAsync("ip", ["-j", "-n", netns, "addr", "show"], cancellationToken: ct).ConfigureAwait(false);
        var links = new Dictionary<string, LinkState>(StringComparer.Ordinal);
        foreach (var link in IpAddrJson.Parse(result.StandardOutput))
            links[link.Name] = new LinkState(link.Name, link.Up, link.Mtu, link.Master, [.. link.Ipv4.Select(a => a.Cidr)]);
        return links;
    }
}
