using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Provisioner.ServiceRules.Model;

namespace Provisioner.ServiceRules.Applying;

/// <summary>
/// A hash of everything the rules are compiled from (every field of every service, and the node). Equal
/// fingerprints compile to equal rules, so a sync whose table has the fingerprint of the last-applied one, with the
/// kernel proven unchanged, has nothing to do and need not compile 10k services to find that out.
/// </summary>
internal static class TableFingerprint
{
    public const string Nothing = "nothing";

    public static string Of(ServiceTable table, NodeContext node)
    {
        var text = new StringBuilder(table.Services.Count * 160);
        Append(text, node.NodeName, node.ClusterCidr, node.ServiceCidr, Number(node.NodePortMin), Number(node.NodePortMax),
            node.MasqueradeAll.ToString(), node.EgressMasquerade.ToString(), string.Join(",", node.NodeIPs));
        foreach (var s in table.Services)
        {
            Append(text, "service", s.Namespace, s.Name, s.Type.ToString(), s.ClusterIP ?? "-", s.SessionAffinity.ToString(),
                Number(s.SessionAffinityTimeoutSeconds), s.ExternalTrafficPolicy.ToString(), s.InternalTrafficPolicy.ToString(),
                s.ExternalName ?? "-", string.Join(",", s.ExternalIPs), string.Join(",", s.LoadBalancerIPs));
            foreach (var p in s.Ports)
                Append(text, "port", p.Name, Number(p.Port), Number(p.TargetPort), p.Protocol.ToString(), p.NodePort is { } np ? Number(np) : "-");
            foreach (var e in s.Endpoints)
                Append(text, "endpoint", e.Address, e.NodeName ?? "-", e.Ready.ToString(), e.Terminating.ToString(),
                    e.Ports is null ? "-" : string.Join(",", e.Ports.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={Number(kv.Value)}")));
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..32];
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Append(StringBuilder text, params string[] fields)
    {
        foreach (var field in fields)
            text.Append(field.Length).Append(':').Append(field).Append('|'); // length-prefixed: no two tables read alike
        text.Append('\n');
    }
}
