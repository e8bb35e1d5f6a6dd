using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;

namespace Provisioner.Core.LoadBalancing;

/// <summary>
/// Gives each LoadBalancer service its EXTERNAL-IP from the pool: <c>loadBalancerIP</c> when set (validated to be in
/// the pool), otherwise a hash of namespace/name picks the start and the next free address wins, so adding a service
/// moves no other unless their hashes collide (then the later one's address depends on the earlier: the ClusterIP
/// allocator's rule; pin <c>loadBalancerIP</c> where it must never move). Pure: the netns lab and netlab-proxy on VMs allocate alike.
/// </summary>
public static class LoadBalancerAllocator
{
    /// <summary>Prefix of the default pool: the last 16 addresses of the node network.</summary>
    public const int DefaultPoolPrefix = 28;

    /// <summary>The configured pool, or the last /28 of the node network when that is at least a /27; null if neither.</summary>
    public static IPNetwork2? Pool(NetworkSpec network)
    {
        if (network.LoadBalancerCidr is { } text)
            return Cidr.TryParse(text, out var pool, out _) ? pool : null;
        if (!Cidr.TryParse(network.NodeCidr, out var node, out _) || node.Cidr > DefaultPoolPrefix - 1)
            return null;
        return IPNetwork2.Parse(Cidr.Nth(node, Cidr.Size(node) - (1L << (32 - DefaultPoolPrefix))).ToString(), DefaultPoolPrefix);
    }

    /// <summary>Addresses of the pool a service may get: all but the pool's own network and broadcast addresses.</summary>
    public static long Room(IPNetwork2 pool) => Cidr.Size(pool) <= 2 ? Cidr.Size(pool) : Cidr.Size(pool) - 2;

    public static bool NeedsAddress(ServiceSpec service) => service.Type == ServiceType.LoadBalancer;

    /// <summary>The services with <see cref="PlannedService.LoadBalancerIP"/> set for each LoadBalancer (null without a pool).</summary>
    public static ImmutableArray<PlannedService> Assign(ImmutableArray<PlannedService> services, IPNetwork2? pool)
    {
        if (pool is null)
            return services;
        var size = Cidr.Size(pool);
        var (first, end) = size <= 2 ? (0L, size) : (1L, size - 1);
        var used = new HashSet<long>();
        foreach (var s in services.Where(s => NeedsAddress(s.Spec)))
        {
            if (s.Spec.LoadBalancerIP is { } ip && Cidr.TryParseAddress(ip, out var a) && pool.Contains(a))
                used.Add(Cidr.OffsetOf(pool, a));
        }
        return [.. services.Select(s =>
        {
            if (!NeedsAddress(s.Spec))
                return s;
            if (s.Spec.LoadBalancerIP is { } explicitIp && Cidr.TryParseAddress(explicitIp, out var a) && pool.Contains(a))
                return s with { LoadBalancerIP = a };
            var offset = Probe(Hash($"{s.Spec.Namespace}/{s.Spec.Name}"), first, end, used);
            return offset is null ? s : s with { LoadBalancerIP = Cidr.Nth(pool, offset.Value) };
        })];
    }

    private static long? Probe(ulong hash, long min, long max, HashSet<long> used)
    {
        var span = max - min;
        for (long i = 0; i < span; i++)
        {
            var candidate = min + (long)((hash + (ulong)i) % (ulong)span);
            if (used.Add(candidate))
                return candidate;
        }
        return null; // the pool is full: the service stays <pending>, as with MetalLB (the validator says so first)
    }

    private static ulong Hash(string text) => BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
