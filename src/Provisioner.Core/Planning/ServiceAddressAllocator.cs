using System.Collections.Immutable;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Net;
using System.Text;
using Provisioner.Core.Model;

namespace Provisioner.Core.Planning;

/// <summary>
/// Gives each service without an explicit ClusterIP or nodePort a stable one: a hash of its name picks the start and
/// the next free value wins, so adding a service moves no other unless their hashes collide (unlike "next in order"). Nothing is
/// stored, so when two hashes collide the later service's value depends on the earlier one: removing or inserting a
/// service before it can move it (rare in a /16; pin clusterIP or nodePort where it must never move).
/// </summary>
internal static class ServiceAddressAllocator
{
    /// <summary>Offsets below this are kept for well-known addresses (.1 kubernetes, .10 DNS).</summary>
    public const int ReservedOffsets = 16;

    /// <summary>How many ClusterIPs the allocator can still hand out in the range, after the explicit ones.</summary>
    public static long ClusterIpRoom(LabConfig lab, IPNetwork2 serviceCidr)
    {
        var size = Cidr.Size(serviceCidr);
        var taken = lab.Services
            .Select(s => s.ClusterIP is { } ip && Cidr.TryParseAddress(ip, out var a) && serviceCidr.Contains(a) ? Cidr.OffsetOf(serviceCidr, a) : -1)
            .Where(o => o >= ReservedOffsets && o < size - 1).Distinct().Count();
        return Math.Max(0, size - 1 - ReservedOffsets - taken);
    }

    /// <summary>How many node ports the allocator can still hand out, after the explicit ones.</summary>
    public static long NodePortRoom(LabConfig lab)
    {
        var n = lab.Network;
        var taken = lab.Services.SelectMany(s => s.Ports).Select(p => p.NodePort)
            .Where(p => p >= n.NodePortMin && p <= n.NodePortMax).Distinct().Count();
        return Math.Max(0, n.NodePortMax - n.NodePortMin + 1 - taken);
    }

    public static bool NeedsClusterIp(ServiceSpec s) => s.Type != ServiceType.ExternalName && !s.IsHeadless && s.ClusterIP is null;

    public static bool NeedsNodePort(ServiceSpec s, ServicePortSpec p) =>
        s.Type is ServiceType.NodePort or ServiceType.LoadBalancer && p.NodePort == 0;

    public static ImmutableArray<PlannedService> Allocate(LabConfig lab, IPNetwork2 serviceCidr)
    {
        var size = Cidr.Size(serviceCidr);
        var usedIps = new HashSet<long>();
        var usedPorts = new HashSet<long>();
        foreach (var s in lab.Services)
        {
            if (s.ClusterIP is { } ip && Cidr.TryParseAddress(ip, out var address))
                usedIps.Add(Cidr.OffsetOf(serviceCidr, address));
            foreach (var p in s.Ports.Where(p => p.NodePort != 0))
                usedPorts.Add(p.NodePort);
        }

        var range = lab.Network.NodePortMax - lab.Network.NodePortMin + 1;
        return [.. lab.Services.Select(service =>
        {
            IPAddress? clusterIp = null;
            if (service.Type != ServiceType.ExternalName && !service.IsHeadless)
            {
                clusterIp = service.ClusterIP is { } explicitIp
                    ? IPAddress.Parse(explicitIp)
                    : Cidr.Nth(serviceCidr, Probe(Hash($"{service.Namespace}/{service.Name}"), ReservedOffsets, size - 1, usedIps));
            }
            var ports = service.Ports.Select(port => NeedsNodePort(service, port)
                ? port with { NodePort = (int)Probe(Hash($"{service.Namespace}/{service.Name}/{port.Port}/{port.Protocol}"),
                    lab.Network.NodePortMin, lab.Network.NodePortMin + range, usedPorts) }
                : port).ToImmutableArray();
            return new PlannedService(service, clusterIp, ports);
        })];
    }

    /// <summary>First free value in [min, max) starting at hash, wrapping; records it as used.</summary>
    private static long Probe(ulong hash, long min, long max, HashSet<long> used)
    {
        var span = max - min;
        for (long i = 0; i < span; i++)
        {
            var candidate = min + (long)((hash + (ulong)i) % (ulong)span);
            if (used.Add(candidate))
                return candidate;
        }
        throw new InvalidOperationException($"no free value left in [{min}, {max})");
    }

    private static ulong Hash(string text)
    {
        // one reused hash object: a one-shot SHA256.HashData sets up OpenSSL's digest anew for each of 10k services
        var sha = t_sha ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(text));
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        sha.GetHashAndReset(hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }

    [ThreadStatic] private static IncrementalHash? t_sha;
}
