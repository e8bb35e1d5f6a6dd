using System.Net;
using System.Net.Sockets;
using Provisioner.Host.Processes;

namespace Provisioner.Netns.Dns;

/// <summary>
/// Where the cluster DNS forwards names outside the cluster zone: the host's real resolvers. systemd-resolved's stub
/// (127.0.0.53, in /etc/resolv.conf) is never one: inside a pod, loopback is the pod's own, so kubelet and netlab read
/// <c>/run/systemd/resolve/resolv.conf</c> (the servers resolved itself uses) first. A server is kept only when the DNS
/// pod's node has a route to it (<c>ip route get</c>: no packet is sent); the isolated netns lab has none, so outside
/// names are answered REFUSED at once instead of hanging until a timeout.
/// </summary>
public static class DnsUpstreams
{
    public static readonly string[] ResolvConfPaths = ["/run/systemd/resolve/resolv.conf", "/etc/resolv.conf"];

    /// <summary>IPv4 nameservers of the first of <paramref name="paths"/> that lists any, loopback ones left out.</summary>
    public static IReadOnlyList<IPAddress> Candidates(IEnumerable<string> paths)
    {
        foreach (var path in paths.Where(File.Exists))
        {
            var servers = Parse(File.ReadAllText(path));
            if (servers.Count > 0)
                return servers;
        }
        return [];
    }

    public static IReadOnlyList<IPAddress> Parse(string resolvConf) =>
        [.. resolvConf.Split('\n')
            .Select(l => l.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f is ["nameserver", _, ..])
            .Select(f => IPAddress.TryParse(f[1], out var a) ? a : null)
            .OfType<IPAddress>()
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            .Distinct()];

    /// <summary>The candidates <paramref name="netns"/> has a route to.</summary>
    public static async Task<IReadOnlyList<IPAddress>> ReachableAsync(ProcessRunner run, string netns, IReadOnlyList<IPAddress> candidates, CancellationToken ct)
    {
        var reachable = new List<IPAddress>();
        foreach (var server in candidates)
        {
            var route = await run.TryRunAsync("ip", ["-n", netns, "route", "get", server.ToString()], cancellationToken: ct).ConfigureAwait(false);
            if (route.Succeeded)
                reachable.Add(server);
        }
        return reachable;
    }
}
