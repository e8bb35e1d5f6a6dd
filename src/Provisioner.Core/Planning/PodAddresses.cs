namespace Provisioner.Core.Planning;

/// <summary>
/// One look-up per pod for the length of one computation. A service table, its DNS records or its status ask for a
/// pod's address once per service that selects it (10k services over 3 pods: 30k reads of the pod's CNI result).
/// </summary>
public static class PodAddresses
{
    /// <summary>A copy of <paramref name="lookup"/> that asks once per pod; use it for one computation, not across
    /// steps (a pod may get its address in between). Not thread-safe.</summary>
    public static Func<string, T> OncePerPod<T>(Func<string, T> lookup)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        var known = new Dictionary<string, T>(StringComparer.Ordinal);
        return pod =>
        {
            if (!known.TryGetValue(pod, out var value))
                known[pod] = value = lookup(pod);
            return value;
        };
    }
}
