using Provisioner.Host.Processes;
using Provisioner.ServiceRules.Model;
using Provisioner.Host.Iproute;

namespace Provisioner.Proxy.Rules;

/// <summary>
/// Deletes the UDP conntrack entries a rules change leaves stale, as kube-proxy does. A UDP "connection" (DNS) keeps
/// its DNAT to the endpoint it first hit for as long as packets keep coming; when that endpoint goes away the flow
/// black-holes until the entry times out. And a UDP service that had no endpoints has entries for the REJECTed
/// packets that must go once endpoints appear. <c>conntrack -D</c> runs in the node's namespace.
/// </summary>
public sealed class ConntrackCleaner(string? netns, ProcessRunner? runner = null)
{
    private readonly ProcessRunner _runner = runner ?? ProcessRunner.Default;

    /// <summary>
    /// The <c>conntrack -D</c> argument lists for the change from <paramref name="before"/> to <paramref name="after"/>.
    /// An endpoint counts wherever some path could reach it, the per-node fallback of a Local policy included: a flow
    /// DNATed to a terminating local endpoint is as stale once it goes as one DNATed to a cluster-wide one.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<string>> Deletions(ServiceTable? before, ServiceTable after, NodeContext node)
    {
        if (before is null)
            return [];
        // only a service whose object changed can leave stale entries: the tracker passes the same object for the rest
        var beforeByKey = ByKey(before);
        var afterByKey = ByKey(after);
        var changed = beforeByKey.Keys.Union(afterByKey.Keys)
            .Where(k => !(beforeByKey.TryGetValue(k, out var was) && afterByKey.TryGetValue(k, out var @is) && ReferenceEquals(was, @is))).ToList();
        var old = Udp(new ServiceTable([.. changed.Where(beforeByKey.ContainsKey).Select(k => beforeByKey[k])]), node);
        var now = Udp(new ServiceTable([.. changed.Where(afterByKey.ContainsKey).Select(k => afterByKey[k])]), node);
        var deletions = new List<IReadOnlyList<string>>();
        foreach (var (key, port) in old)
        {
            now.TryGetValue(key, out var current);
            var stale = port.ReachableEndpoints.Select(e => e.Address)
                .Except(current?.ReachableEndpoints.Select(e => e.Address) ?? [], StringComparer.Ordinal);
            foreach (var endpoint in stale)
            {
                foreach (var frontend in Frontends(port))
                    deletions.Add(["-D", "-p", "udp", "--orig-dst", frontend, "--dst-nat", endpoint]);
                if (port.Port.NodePort is { } nodePort)
                    deletions.Add(["-D", "-p", "udp", "--orig-port-dst", Num(nodePort), "--dst-nat", endpoint]);
            }
        }
        foreach (var (key, port) in now.Where(p => p.Value.ReachableEndpoints.Count > 0))
        {
            if (!old.TryGetValue(key, out var previous) || previous.ReachableEndpoints.Count > 0)
                continue;
            foreach (var frontend in Frontends(port))
                deletions.Add(["-D", "-p", "udp", "--orig-dst", frontend, "--orig-port-dst", Num(port.Port.Port)]);
            if (port.Port.NodePort is { } nodePort)
                deletions.Add(["-D", "-p", "udp", "--orig-port-dst", Num(nodePort)]);
        }
        return [.. deletions.DistinctBy(d => string.Join(' ', d))];
    }

    /// <summary>Runs the deletions; "0 flow entries" (exit 1) is not an error. Returns how many commands ran.</summary>
    public async Task<int> CleanAsync(ServiceTable? before, ServiceTable after, NodeContext node, CancellationToken ct)
    {
        var deletions = Deletions(before, after, node);
        foreach (var arguments in deletions)
        {
            var (file, argv) = NetnsExec.Wrap(netns, "conntrack", arguments);
            var result = await _runner.WithTimeout(TimeSpan.FromSeconds(10)).TryRunAsync(file, argv, cancellationToken: ct).ConfigureAwait(false);
            if (!result.Succeeded && !result.StandardError.Contains("0 flow entries", StringComparison.Ordinal))
                throw new CommandFailedException(ShellQuote.Join([file, .. argv]), result.ExitCode, result.StandardError,
                    "install conntrack (apt-get install conntrack) and check the nf_conntrack module is loaded");
        }
        return deletions.Count;
    }

    private static Dictionary<string, Service> ByKey(ServiceTable table)
    {
        var services = new Dictionary<string, Service>(table.Services.Count, StringComparer.Ordinal);
        foreach (var service in table.Services)
            services.TryAdd(service.Key, service);
        return services;
    }

    private static Dictionary<string, ResolvedServicePort> Udp(ServiceTable table, NodeContext node) =>
        ServiceResolver.Resolve(table, node).Ports.Where(p => p.Port.Protocol == ServiceProtocol.UDP)
            .ToDictionary(p => p.PortName, StringComparer.Ordinal);

    private static IEnumerable<string> Frontends(ResolvedServicePort port) => [port.ClusterIP, .. port.ExternalAddresses];

    private static string Num(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
