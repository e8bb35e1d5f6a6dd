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

    public static string ServiceChain(string servicePortName, string protocol) => ServiceChainPrefix + PortProtoHash(servicePortName, protocol);

    public static string LocalServiceChain(string servicePortName, string protocol) => LocalServiceChainPrefix + PortProtoHash(servicePortName, protocol);

    public static string ExternalChain(string servicePortName, string protocol) => ExternalChainPrefix + PortProtoHash(servicePortName, protocol);

    public static string EndpointChain(string servicePortName, string protocol, string endpoint) =>
        "NETLAB-SEP-" + PortProtoHash(servicePortName, protocol + endpoint);

    /// <summary>kube-proxy's portProtoHash, bit for bit. A full compile hashes every chain name of 10k services, so this
    /// hashes into the stack and encodes only the 16 characters kept (10 of the 32 bytes).</summary>
    public static string PortProtoHash(string servicePortName, string protocol)
    {
        ArgumentNullException.ThrowIfNull(servicePortName);
        ArgumentNullException.ThrowIfNull(protocol);
        var text = string.Concat(servicePortName, protocol);
        Span<byte> input = text.Length <= 256 ? stackalloc byte[Encoding.UTF8.GetMaxByteCount(text.Length)] : new byte[Encoding.UTF8.GetMaxByteCount(text.Length)];
        var length = Encoding.UTF8.GetBytes(text, input);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input[..length], hash);
        return Base32First16(hash);
    }

    /// <summary>The first 16 characters of RFC 4648 base32 (Go's base32.StdEncoding) of <paramref name="data"/>: 80 bits.</summary>
    private static string Base32First16(ReadOnlySpan<byte> data)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        Span<char> output = stackalloc char[16];
        int buffer = 0, bits = 0, written = 0, next = 0;
        while (written < output.Length)
        {
            if (bits < 5)
            {
                buffer = (buffer << 8) | data[next++];
                bits += 8;
            }
            output[written++] = alphabet[(buffer >> (bits - 5)) & 31];
            bits -= 5;
        }
        return new string(output);
    }
}
