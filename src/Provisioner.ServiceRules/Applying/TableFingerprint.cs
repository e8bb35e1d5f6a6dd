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
        // 10k services are hashed by every sync of a new process: one reused buffer, no string per field.
        var text = t_text ??= new StringBuilder(256);
        text.Clear();
        Field(text, "service").Field(s.Namespace).Field(s.Name).Field(s.Type.ToString()).Field(s.ClusterIP ?? "-")
            .Field(s.SessionAffinity.ToString()).Field(s.SessionAffinityTimeoutSeconds).Field(s.ExternalTrafficPolicy.ToString())
            .Field(s.InternalTrafficPolicy.ToString()).Field(s.ExternalName ?? "-").Field(s.ExternalIPs).Field(s.LoadBalancerIPs);
        text.Append('\n');
        foreach (var p in s.Ports)
        {
            Field(text, "port").Field(p.Name).Field(p.Port).Field(p.TargetPort).Field(p.Protocol.ToString());
            (p.NodePort is { } np ? Field(text, np) : Field(text, "-")).Append('\n');
        }
        foreach (var e in s.Endpoints)
        {
            Field(text, "endpoint").Field(e.Address).Field(e.NodeName ?? "-").Field(e.Ready ? "True" : "False")
                .Field(e.Terminating ? "True" : "False")
                .Field(e.Ports is null ? "-" : string.Join(",", e.Ports.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={Number(kv.Value)}")));
            text.Append('\n');
        }
        var sha = t_sha ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256); // not set up anew per service
        sha.AppendData(Encoding.UTF8.GetBytes(text.ToString()));
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        sha.GetHashAndReset(hash);
        return BinaryPrimitives.ReadUInt128LittleEndian(hash);
    }

    [ThreadStatic] private static IncrementalHash? t_sha;
    [ThreadStatic] private static StringBuilder? t_text;

    // Each field length-prefixed (its length, ':', the text, '|'): no two tables read alike.
    private static StringBuilder Field(this StringBuilder text, string field) => text.Append(field.Length).Append(':').Append(field).Append('|');

    private static StringBuilder Field(this StringBuilder text, int number)
    {
        Span<char> digits = stackalloc char[11];
        number.TryFormat(digits, out var n, default, CultureInfo.InvariantCulture);
        return text.Append(n).Append(':').Append(digits[..n]).Append('|');
    }

    /// <summary>A list as one field, its items joined by commas.</summary>
    private static StringBuilder Field(this StringBuilder text, IReadOnlyList<string> items)
    {
        var length = Math.Max(0, items.Count - 1);
        foreach (var item in items)
            length += item.Length;
        text.Append(length).Append(':');
        for (var i = 0; i < items.Count; i++)
            (i == 0 ? text : text.Append(',')).Append(items[i]);
        return text.Append('|');
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Append(StringBuilder text, params string[] fields)
    {
        foreach (var field in fields)
            text.Field(field);
        text.Append('\n');
    }
}
