using System.Security.Cryptography;
using System.Text;

namespace Provisioner.ServiceRules.Naming;

/// <summary>
/// Chain names derived as kube-proxy derives them (pkg/proxy/iptables/proxier.go, portProtoHash): the first 16
/// characters of base32(sha256(servicePortName + protocol)), where servicePortName is "namespace/name:port" and the
/// protocol is lower case; endpoint chains hash the endpoint "ip:port" too. With the NETLAB- prefix the names stay
/// within iptables' 28-character limit.
/// </summary>
public static class ChainNames
{
    public const string Prefix = "NETLAB-";
    public const string Services = "NETLAB-SERVICES";
    public const string ExternalServices = "NETLAB-EXTERNAL-SERVICES";
    public const string NodePorts = "NETLAB-NODEPORTS";
    public const string Postrouting = "NETLAB-POSTROUTING";
    public const string MarkMasq = "NETLAB-MARK-MASQ";

    /// <summary>NetworkPolicy chains (Policy/): netlab's, but not the service rules' to read, diff or delete.</summary>
    public const string PolicyPrefix = "NETLAB-POL-";

    public static string ServiceChain(string servicePortName, string protocol) => "NETLAB-SVC-" + PortProtoHash(servicePortName, protocol);

    public static string LocalServiceChain(string servicePortName, string protocol) => "NETLAB-SVL-" + PortProtoHash(servicePortName, protocol);

    public static string ExternalChain(string servicePortName, string protocol) => "NETLAB-EXT-" + PortProtoHash(servicePortName, protocol);

    public static string EndpointChain(string servicePortName, string protocol, string endpoint) =>
        "NETLAB-SEP-" + PortProtoHash(servicePortName, protocol + endpoint);

    /// <summary>kube-proxy's portProtoHash, bit for bit.</summary>
    public static string PortProtoHash(string servicePortName, string protocol)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(servicePortName + protocol));
        return Base32(hash)[..16];
    }

    /// <summary>RFC 4648 base32 (Go's base32.StdEncoding), only as many characters as needed here.</summary>
    private static string Base32(byte[] data)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var output = new StringBuilder();
        int buffer = 0, bits = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                output.Append(alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0)
            output.Append(alphabet[(buffer << (5 - bits)) & 31]);
        return output.ToString();
    }
}
