using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Provisioner.ServiceRules.Model;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Provisioner.Proxy.Config;

/// <summary>
/// The node values netlab-proxy's <c>--config</c> file carries, spelt as kube-proxy's KubeProxyConfiguration where
/// the two share a field (clusterCIDR, masqueradeAll, syncPeriod, minSyncPeriod). The node's own name and address
/// come from <c>--hostname-override</c> and its Node object.
/// </summary>
public sealed record ProxyConfigFile
{
    public required string ClusterCidr { get; init; }
    public required string ServiceCidr { get; init; }
    public int NodePortMin { get; init; } = 30000;
    public int NodePortMax { get; init; } = 32767;
    public bool MasqueradeAll { get; init; }

    /// <summary>
    /// This node's pod subnet (its slice of <see cref="ClusterCidr"/>): NetworkPolicy ingress is checked here for sources
    /// in it. Null: the Node object's <c>spec.podCIDR</c> (the VM lab sets this, as its controller manager allocates none).
    /// </summary>
    public string? PodCidr { get; init; }

    /// <summary>
    /// Set on the OVS fabric: the directory with the <c>netlab0</c> bridge's management socket. The bridge switches
    /// same-node pod traffic without the node's netfilter, so while some pod is isolated by a NetworkPolicy the policy
    /// controller sends that traffic through the node (<see cref="Provisioner.Fabric.Ovs.OvsPolicyPath"/>). Null: a
    /// Linux-bridge or routed fabric, whose same-node traffic meets netfilter anyway.
    /// </summary>
    public string? OvsRunDirectory { get; init; }

    /// <summary>The node's addresses when given; otherwise the Node object's InternalIPs.</summary>
    public IReadOnlyList<string> NodeIPs { get; init; } = [];

    /// <summary>
    /// The LoadBalancer pool (netlab's <c>network.loadBalancerCidr</c>): the EXTERNAL-IPs this node may announce, and
    /// the range the allocator gives out. Null: netlab-proxy neither allocates nor announces LoadBalancer addresses.
    /// </summary>
    public string? LoadBalancerCidr { get; init; }

    /// <summary>
    /// This proxy allocates LoadBalancer addresses and writes <c>status.loadBalancer.ingress</c>: true on exactly one
    /// node (the control plane's), so there is one writer; every node announces.
    /// </summary>
    public bool LoadBalancerAllocator { get; init; }

    /// <summary>Periodic full resync (kube-proxy's syncPeriod).</summary>
    public TimeSpan SyncPeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The shortest time between two syncs: a burst of changes within it is one sync (kube-proxy's minSyncPeriod).</summary>
    public TimeSpan MinSyncPeriod { get; init; } = TimeSpan.FromSeconds(1);

    public NodeContext NodeFor(string nodeName, IReadOnlyList<string> apiNodeIPs) =>
        new(nodeName, NodeIPs.Count > 0 ? NodeIPs : apiNodeIPs, ClusterCidr, ServiceCidr, NodePortMin, NodePortMax, MasqueradeAll);

    /// <summary>The file as YAML, in the order <see cref="Load"/> reads it; the deploy step's trigger shows these lines.</summary>
    public string ToYaml() => string.Join('\n',
    [
        $"clusterCIDR: {ClusterCidr}",
        $"serviceCIDR: {ServiceCidr}",
        $"nodePortRange: {NodePortMin}-{NodePortMax}",
        $"masqueradeAll: {(MasqueradeAll ? "true" : "false")}",
        .. PodCidr is null ? Array.Empty<string>() : [$"podCIDR: {PodCidr}"],
        .. NodeIPs.Count == 0 ? Array.Empty<string>() : [$"nodeIPs: [{string.Join(", ", NodeIPs)}]"],
        .. LoadBalancerCidr is null ? Array.Empty<string>() : [$"loadBalancerCIDR: {LoadBalancerCidr}"],
        .. LoadBalancerAllocator ? ["loadBalancerAllocator: true"] : Array.Empty<string>(),
        .. OvsRunDirectory is null ? Array.Empty<string>() : [$"ovsRunDirectory: {OvsRunDirectory}"],
        $"syncPeriod: {Durations.Format(SyncPeriod)}",
        $"minSyncPeriod: {Durations.Format(MinSyncPeriod)}",
    ]) + "\n";

    /// <summary>Reads the file; every problem raises <see cref="InvalidDataException"/> naming the field and the fix.</summary>
    public static ProxyConfigFile Load(string path)
    {
        if (!File.Exists(path))
            throw new InvalidDataException($"--config {path}: no such file; write one with clusterCIDR and serviceCIDR (see docs/proxy.md)");
        return Parse(File.ReadAllText(path), path);
    }

    public static ProxyConfigFile Parse(string yaml, string source = "--config")
    {
        Raw raw;
        try
        {
            raw = new DeserializerBuilder().WithNamingConvention(NullNamingConvention.Instance).Build().Deserialize<Raw?>(yaml) ?? new Raw();
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"{source}: line {e.Start.Line}: {e.InnerException?.Message ?? e.Message} " +
                "(known fields: clusterCIDR, serviceCIDR, nodePortRange, masqueradeAll, podCIDR, nodeIPs, loadBalancerCIDR, loadBalancerAllocator, ovsRunDirectory, syncPeriod, minSyncPeriod)", e);
        }
        var problems = new List<string>();
        var cluster = Cidr(raw.clusterCIDR, "clusterCIDR", "10.244.0.0/16", problems);
        var service = Cidr(raw.serviceCIDR, "serviceCIDR", "10.96.0.0/12", problems);
        var podCidr = raw.podCIDR is null ? null : Cidr(raw.podCIDR, "podCIDR", "10.244.1.0/24", problems);
        var (min, max) = PortRange(raw.nodePortRange ?? "30000-32767", problems);
        foreach (var ip in raw.nodeIPs ?? [])
        {
            if (!IPAddress.TryParse(ip, out var a) || a.AddressFamily != AddressFamily.InterNetwork)
                problems.Add($"nodeIPs: '{ip}' is not an IPv4 address");
        }
        var pool = raw.loadBalancerCIDR is null ? null : Cidr(raw.loadBalancerCIDR, "loadBalancerCIDR", "192.168.64.240/28", problems);
        if (raw.loadBalancerAllocator && raw.loadBalancerCIDR is null)
            problems.Add("loadBalancerAllocator: true needs a pool to allocate from; write e.g. loadBalancerCIDR: 192.168.64.240/28");
        if (raw.ovsRunDirectory is { } ovs && !Path.IsPathFullyQualified(ovs))
            problems.Add($"ovsRunDirectory: '{ovs}' is not an absolute path; write e.g. ovsRunDirectory: /var/run/openvswitch");
        var sync = Duration(raw.syncPeriod ?? "30s", "syncPeriod", problems);
        var minSync = Duration(raw.minSyncPeriod ?? "1s", "minSyncPeriod", problems);
        if (problems.Count > 0)
            throw new InvalidDataException($"{source} has problems:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)));
        return new ProxyConfigFile
        {
            ClusterCidr = cluster, ServiceCidr = service, NodePortMin = min, NodePortMax = max, MasqueradeAll = raw.masqueradeAll,
            PodCidr = podCidr, NodeIPs = raw.nodeIPs ?? [], SyncPeriod = sync, MinSyncPeriod = minSync,
            LoadBalancerCidr = pool, LoadBalancerAllocator = raw.loadBalancerAllocator, OvsRunDirectory = raw.ovsRunDirectory,
        };
    }

    private static string Cidr(string? text, string field, string example, List<string> problems)
    {
        if (text is not null && IPNetwork.TryParse(text, out var n) && n.BaseAddress.AddressFamily == AddressFamily.InterNetwork && n.ToString() == text)
            return text;
        problems.Add(text is null ? $"{field} is missing; write e.g. {field}: {example}" : $"{field}: '{text}' is not an IPv4 CIDR like {example}");
        return "";
    }

    private static (int, int) PortRange(string text, List<string> problems)
    {
        var parts = text.Split('-');
        if (parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var min)
            && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var max) && min is >= 1 and <= 65535 && max is >= 1 and <= 65535 && min <= max)
            return (min, max);
        problems.Add($"nodePortRange: '{text}' is not a port range like 30000-32767");
        return (0, 0);
    }

    private static TimeSpan Duration(string text, string field, List<string> problems)
    {
        if (Durations.TryParse(text, out var value) && value > TimeSpan.Zero)
            return value;
        problems.Add($"{field}: '{text}' is not a duration like 30s, 500ms or 1m");
        return TimeSpan.Zero;
    }

#pragma warning disable IDE1006, CA1812 // YAML field names as kube-proxy spells them; instantiated by YamlDotNet.
    private sealed class Raw
    {
        public string? clusterCIDR { get; set; }
        public string? serviceCIDR { get; set; }
        public string? nodePortRange { get; set; }
        public bool masqueradeAll { get; set; }
        public string? podCIDR { get; set; }
        public List<string>? nodeIPs { get; set; }
        public string? loadBalancerCIDR { get; set; }
        public bool loadBalancerAllocator { get; set; }
        public string? ovsRunDirectory { get; set; }
        public string? syncPeriod { get; set; }
        public string? minSyncPeriod { get; set; }
    }
#pragma warning restore IDE1006, CA1812
}

/// <summary>Go-style durations as Kubernetes configs write them: 100ms, 1s, 30s, 1m, 1h.</summary>
public static class Durations
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0) : text.EndsWith('m') ? (text[..^1], 60.0) : text.EndsWith('h') ? (text[..^1], 3600.0) : ("", 0);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
            return false;
        value = TimeSpan.FromSeconds(n * unit);
        return true;
    }

    public static string Format(TimeSpan value) =>
        value.TotalSeconds >= 1 && value.TotalSeconds == Math.Floor(value.TotalSeconds)
            ? value.TotalSeconds.ToString(CultureInfo.InvariantCulture) + "s"
            : value.TotalMilliseconds.ToString(CultureInfo.InvariantCulture) + "ms";
}
