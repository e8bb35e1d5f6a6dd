namespace Provisioner.ServiceRules.Model;

/// <summary>
/// Which endpoints serve, as kube-proxy's CategorizeEndpoints decides: ready ones; only when there is none, the
/// serving-but-terminating ones, so connections drain instead of being refused. Cluster-wide for the Cluster traffic
/// policies, and per node for Local: a node with no ready endpoint of its own uses its terminating ones even while
/// other nodes have ready endpoints.
/// </summary>
public static class EndpointSelection
{
    public static IEnumerable<Endpoint> Cluster(IReadOnlyList<Endpoint> endpoints) => ReadyElseTerminating(endpoints);

    public static IEnumerable<Endpoint> Local(IReadOnlyList<Endpoint> endpoints, string node) =>
        ReadyElseTerminating([.. endpoints.Where(e => e.NodeName == node)]);

    /// <summary>Whether every endpoint is on <paramref name="node"/> (then <see cref="Local"/> is <see cref="Cluster"/>).</summary>
    public static bool AllOn(IReadOnlyList<Endpoint> endpoints, string node) => endpoints.All(e => e.NodeName == node);

    private static IEnumerable<Endpoint> ReadyElseTerminating(IReadOnlyList<Endpoint> endpoints) =>
        endpoints.Any(e => e.Ready) ? endpoints.Where(e => e.Ready) : endpoints.Where(e => e.Terminating);
}
