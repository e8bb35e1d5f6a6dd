using System.Security.Cryptography;
using System.Text;

namespace Provisioner.Deploy;

/// <summary>
/// A short hash of a step's triggers. Steps that must follow another step's replacement (everything on a VM follows
/// the VM; the joins follow the control plane) carry it as a trigger, so the preview shows the whole consequence.
/// </summary>
public static class StepDigest
{
    public static string Of(CommandStep step)
    {
        var text = string.Join('\n', step.Triggers.Select(t => $"{t.Key}={t.Value}"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12];
    }
}
