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
        var claims = services.Where(s => NeedsAddress(s.Spec))
            .Select(s => new AddressClaim($"{s.Spec.Namespace}/{s.Spec.Name}", s.Spec.LoadBalancerIP, null)).ToList();
        var addresses = Allocate(claims, pool);
        return [.. services.Select(s => NeedsAddress(s.Spec) && addresses.TryGetValue($"{s.Spec.Namespace}/{s.Spec.Name}", out var ip)
            ? s with { LoadBalancerIP = ip } : s)];
    }

    /// <summary>
    /// The address of each claim (by its key; a claim left out found the pool full). First the requested addresses in
    /// the pool (<c>loadBalancerIP</c>), then the ones held now (an EXTERNAL-IP already in the status stays, as
    /// MetalLB keeps it), then, in the claims' order, hash of the key and the next free address.
    /// </summary>
    public static IReadOnlyDictionary<string, IPAddress> Allocate(IReadOnlyList<AddressClaim> claims, IPNetwork2 pool)
    {
        var size = Cidr.Size(pool);
        var (first, end) = size <= 2 ? (0L, size) : (1L, size - 1);
        var used = new HashSet<long>();
        var result = new Dictionary<string, IPAddress>(StringComparer.Ordinal);
        void Take(string key, string? text, bool anyOffset)
        {
            if (result.ContainsKey(key) || text is null || !Cidr.TryParseAddress(text, out var a) || !pool.Contains(a))
                return;
            var offset = Cidr.OffsetOf(pool, a);
            if ((anyOffset || (offset >= first && offset < end)) && used.Add(offset))
                result[key] = a;
        }
        foreach (var claim in claims)
            Take(claim.Key, claim.Requested, anyOffset: true);
        foreach (var claim in claims.Where(c => c.Requested is null))
            Take(claim.Key, claim.Current, anyOffset: false);
        foreach (var claim in claims.Where(c => !result.ContainsKey(c.Key) && c.Requested is null))
        {
            if (Probe(Hash(claim.Key), first, end, used) is { } offset)
                result[claim.Key] = Cidr.Nth(pool, offset);
        }
        return result;
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

/// <summary>One service asking for an address: its namespace/name, its <c>loadBalancerIP</c>, and the address it holds now.</summary>
public sealed record AddressClaim(string Key, string? Requested, string? Current);
