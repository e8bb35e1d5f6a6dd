using System.Security.Cryptography;
using System.Text;

namespace Provisioner.Deploy;

internal static class Hash
{
    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>The first 12 hex digits: enough to see a file changed, short enough to read in a preview's diff.</summary>
    public static string Short(string sha256) => sha256.Length > 12 ? sha256[..12] : sha256;
}
