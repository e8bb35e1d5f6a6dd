using k8s;
using k8s.Models;
using Provisioner.Proxy.Tracking;

namespace Provisioner.Proxy.Sources;

/// <summary>The three kinds netlab-proxy watches, each feeding the <see cref="ChangeTracker"/>.</summary>
public sealed class KubernetesSources(IKubernetes client, ChangeTracker tracker, Action<string> log)
{
    public ListWatcher<V1Service, V1ServiceList> Services { get; } = new("services",
        ct => client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: ct),
        (rv, timeout, onError, ct) => client.CoreV1.WatchListServiceForAllNamespacesAsync(
            allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, onError: onError, cancellationToken: ct),
        tracker.ReplaceServices, tracker.OnService, log);

    public ListWatcher<V1EndpointSlice, V1EndpointSliceList> EndpointSlices { get; } = new("endpointslices",
        ct => client.DiscoveryV1.ListEndpointSliceForAllNamespacesAsync(cancellationToken: ct),
        (rv, timeout, onError, ct) => client.DiscoveryV1.WatchListEndpointSliceForAllNamespacesAsync(
            allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, onError: onError, cancellationToken: ct),
        tracker.ReplaceSlices, tracker.OnSlice, log);

    public ListWatcher<V1Node, V1NodeList> Nodes { get; } = new("nodes",
        ct => client.CoreV1.ListNodeAsync(cancellationToken: ct),
        (rv, timeout, onError, ct) => client.CoreV1.WatchListNodeAsync(
            allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, onError: onError, cancellationToken: ct),
        tracker.ReplaceNodes, tracker.OnNode, log);

    /// <summary>Completed once every kind has been listed once: the first sync waits for it, as kube-proxy does.</summary>
    public Task Synced => Task.WhenAll(Services.Synced, EndpointSlices.Synced, Nodes.Synced);

    public Task RunAsync(CancellationToken ct) =>
        Task.WhenAll(Services.RunAsync(ct), EndpointSlices.RunAsync(ct), Nodes.RunAsync(ct));
}
