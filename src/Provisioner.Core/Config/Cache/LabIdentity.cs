using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Provisioner.Core.Model;

namespace Provisioner.Core.Config.Cache;

/// <summary>
/// What a lab object was read from, as a key: the <see cref="StackCache"/> key of its stack file (the bytes, the stack's
/// name and the build that read them), remembered for the very object that reading returned and for the objects
/// derived from it by code in this build (<see cref="Planning.LabPlan.For"/>'s DNS workloads). Equal keys mean equal
/// labs, so a step whose inputs are only the lab and a few things it can check cheaply (pod addresses, the kernel's
/// generation) can prove "same inputs as last time" without walking 10k services. A lab built or changed any other
/// way (<c>with</c> makes a new object) has no key: its steps compute everything.
/// </summary>
public static class LabIdentity
{
    private static readonly ConditionalWeakTable<LabConfig, string> Keys = new();

    /// <summary>The key of the stack this lab was read from, or null.</summary>
    public static string? Of(LabConfig lab) => Keys.TryGetValue(lab, out var key) ? key : null;

    internal static void Remember(LabConfig lab, string key) => Keys.AddOrUpdate(lab, key);

    /// <summary>A lab derived from <paramref name="source"/> by a pure function of it in this build (named by <paramref name="how"/>).</summary>
    public static void Derive(LabConfig source, LabConfig derived, string how)
    {
        if (Of(source) is { } key && !ReferenceEquals(source, derived))
            Remember(derived, Digest(key, how));
    }

    /// <summary>A step's inputs: the lab's key and whatever else the step reads, hashed; null when the lab has no key.</summary>
    public static string? Inputs(LabConfig lab, params IEnumerable<string?> parts) =>
        Of(lab) is { } key ? Digest([key, .. parts]) : null;

    private static string Digest(params IEnumerable<string?> parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n\0", parts.Select(p => p ?? "\u0001null")))));
}
