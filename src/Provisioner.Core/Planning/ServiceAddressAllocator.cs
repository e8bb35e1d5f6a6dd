using System.Collections.Immutable;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Net;
using System.Text;
using Provisioner.Core.Model;

namespace Provisioner.Core.Planning;

/// <summary>
/// Gives each service without an explicit ClusterIP or nodePort a stable one: a hash of its name picks the start and
/// the next free value wins, so adding or removing one service never moves another (unlike "next in order").
/// </summary>
internal static class ServiceAddressAllocator
{
    /// <summary>Offsets below this are kept for well-known addresses (.1 kubernetes, .10 DNS).</summary>
    private const int ReservedOffsets = 16;

    public static ImmutableArray<PlannedService> Allocate(LabConfig lab, IPNetwork2 serviceCidr)
    {
        var size = Cidr.Size(serviceCidr);
        var usedIps = new HashSet<long>();
        var usedPorts = new HashSet<long>();
        foreach (var s in lab.Services)
        {
            if (s.ClusterIP is { } ip && IPAddress.TryParse(ip, out var address))
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
            var wantsNodePort = service.Type is ServiceType.NodePort or ServiceType.LoadBalancer;
            var ports = service.Ports.Select(port => wantsNodePort && port.NodePort == 0
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

    private static ulong Hash(string text) => BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
