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

    public const string ServiceChainPrefix = "NETLAB-SVC-";
    public const string LocalServiceChainPrefix = "NETLAB-SVL-";
    public const string ExternalChainPrefix = "NETLAB-EXT-";
    public const string EndpointChainPrefix = "NETLAB-SEP-";

    public static string ServiceChain(string servicePortName, string protocol) => Hashed(ServiceChainPrefix, servicePortName, protocol, "");

    public static string LocalServiceChain(string servicePortName, string protocol) => Hashed(LocalServiceChainPrefix, servicePortName, protocol, "");

    public static string ExternalChain(string servicePortName, string protocol) => Hashed(ExternalChainPrefix, servicePortName, protocol, "");

    public static string EndpointChain(string servicePortName, string protocol, string endpoint) =>
        Hashed(EndpointChainPrefix, servicePortName, protocol, endpoint);

    /// <summary>kube-proxy's portProtoHash, bit for bit.</summary>
    public static string PortProtoHash(string servicePortName, string protocol) => Hashed("", servicePortName, protocol, "");

    /// <summary><paramref name="prefix"/> and portProtoHash(<paramref name="servicePortName"/>, <paramref name="protocol"/>
    /// + <paramref name="endpoint"/>) as one string. A full compile hashes every chain name of 10k services, so the parts'
    /// UTF-8 is hashed from the stack (no joined string) and only the 16 characters kept are encoded (10 of the 32 bytes).</summary>
    internal static string Hashed(string prefix, string servicePortName, string protocol, string endpoint)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(servicePortName);
        ArgumentNullException.ThrowIfNull(protocol);
        ArgumentNullException.ThrowIfNull(endpoint);
        var maxBytes = Encoding.UTF8.GetMaxByteCount(servicePortName.Length + protocol.Length + endpoint.Length);
        Span<byte> input = maxBytes <= 768 ? stackalloc byte[maxBytes] : new byte[maxBytes];
        var length = Encoding.UTF8.GetBytes(servicePortName, input);
        length += Encoding.UTF8.GetBytes(protocol, input[length..]);
        length += Encoding.UTF8.GetBytes(endpoint, input[length..]);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input[..length], hash);
        Span<char> name = stackalloc char[prefix.Length + HashLength];
        prefix.CopyTo(name);
        Base32First16(hash, name[prefix.Length..]);
        return new string(name);
    }

    private const int HashLength = 16;

    /// <summary>The first 16 characters of RFC 4648 base32 (Go's base32.StdEncoding) of <paramref name="data"/>: 80 bits.</summary>
    private static void Base32First16(ReadOnlySpan<byte> data, Span<char> output)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        int buffer = 0, bits = 0, written = 0, next = 0;
        while (written < HashLength)
        {
            if (bits < 5)
            {
                buffer = (buffer << 8) | data[next++];
                bits += 8;
            }
            output[written++] = alphabet[(buffer >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
}
