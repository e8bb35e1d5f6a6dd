using System.Security.Cryptography;
using System.Text;

namespace Provisioner.Deploy;

internal static class Hash
{
    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
