using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Provisioner.ServiceRules.Model;

namespace Provisioner.ServiceRules.Applying;

/// <summary>
/// A hash of everything the rules are compiled from (every field of every service, and the node). Equal
/// fingerprints compile to equal rules, so a sync whose table has the fingerprint of the last-applied one, with the
/// kernel proven unchanged, has nothing to do and need not compile 10k services to find that out.
/// The table's hash is the sum of its services' hashes (a multiset hash): changing one service changes the sum by
/// that service's difference, so the engine re-hashes only the services that changed.
/// </summary>
internal static class TableFingerprint
{
    public const string Nothing = "nothing";

    public static string Of(ServiceTable table, NodeContext node)
    {
        ArgumentNullException.ThrowIfNull(table);
        var sum = UInt128.Zero;
        foreach (var service in table.Services)
            sum += OfService(service);
        return Combine(node, table.Services.Count, sum);
    }

    /// <summary>The table fingerprint from the node, the number of services and the sum of their <see cref="OfService"/>.</summary>
    public static string Combine(NodeContext node, int services, UInt128 sum)
    {
        ArgumentNullException.ThrowIfNull(node);
        var text = new StringBuilder();
        Append(text, node.NodeName, node.ClusterCidr, node.ServiceCidr, Number(node.NodePortMin), Number(node.NodePortMax),
            node.MasqueradeAll.ToString(), node.EgressMasquerade.ToString(), string.Join(",", node.NodeIPs));
        Append(text, Number(services), sum.ToString(CultureInfo.InvariantCulture));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..32];
    }

    /// <summary>A 128-bit hash of every field of one service.</summary>
    public static UInt128 OfService(Service s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var text = new StringBuilder(160);
        Append(text, "service", s.Namespace, s.Name, s.Type.ToString(), s.ClusterIP ?? "-", s.SessionAffinity.ToString(),
            Number(s.SessionAffinityTimeoutSeconds), s.ExternalTrafficPolicy.ToString(), s.InternalTrafficPolicy.ToString(),
            s.ExternalName ?? "-", string.Join(",", s.ExternalIPs), string.Join(",", s.LoadBalancerIPs));
        foreach (var p in s.Ports)
            Append(text, "port", p.Name, Number(p.Port), Number(p.TargetPort), p.Protocol.ToString(), p.NodePort is { } np ? Number(np) : "-");
        foreach (var e in s.Endpoints)
            Append(text, "endpoint", e.Address, e.NodeName ?? "-", e.Ready.ToString(), e.Terminating.ToString(),
                e.Ports is null ? "-" : string.Join(",", e.Ports.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={Number(kv.Value)}")));
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()), hash);
        return BinaryPrimitives.ReadUInt128LittleEndian(hash);
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Append(StringBuilder text, params string[] fields)
    {
        foreach (var field in fields)
            text.Append(field.Length).Append(':').Append(field).Append('|'); // length-prefixed: no two tables read alike
        text.Append('\n');
    }
}
