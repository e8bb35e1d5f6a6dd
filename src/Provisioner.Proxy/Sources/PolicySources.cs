using k8s;
using k8s.Models;
using Provisioner.Proxy.Policy;

namespace Provisioner.Proxy.Sources;

/// <summary>The three kinds the policy controller watches (networking.k8s.io/v1 NetworkPolicies, Pods, Namespaces).</summary>
public sealed class PolicySources(IKubernetes client, PolicyTracker tracker, Action<string> log)
{
    public ListWatcher<V1NetworkPolicy, V1NetworkPolicyList> NetworkPolicies { get; } = new("networkpolicies",
        ct => client.NetworkingV1.ListNetworkPolicyForAllNamespacesAsync(cancellationToken: ct),
        (rv, timeout, onError, ct) => client.NetworkingV1.WatchListNetworkPolicyForAllNamespacesAsync(
            allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, onError: onError, cancellationToken: ct),
        tracker.ReplacePolicies, tracker.OnPolicy, log);

    public ListWatcher<V1Pod, V1PodList> Pods { get; } = new("pods",
        ct => client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: ct),
        (rv, timeout, onError, ct) => client.CoreV1.WatchListPodForAllNamespacesAsync(
            allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, onError: onError, cancellationToken: ct),
        tracker.ReplacePods, tracker.OnPod, log);

    public ListWatcher<V1Namespace, V1NamespaceList> Namespaces { get; } = new("namespaces",
        ct => client.CoreV1.ListNamespaceAsync(cancellationToken: ct),
        (rv, timeout, onError, ct) => client.CoreV1.WatchListNamespaceAsync(
            allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, onError: onError, cancellationToken: ct),
        tracker.ReplaceNamespaces, tracker.OnNamespace, log);

    /// <summary>Completed once every kind has been listed once: the first policy sync waits for it.</summary>
    public Task Synced => Task.WhenAll(NetworkPolicies.Synced, Pods.Synced, Namespaces.Synced);

    public Task RunAsync(CancellationToken ct) => Task.WhenAll(NetworkPolicies.RunAsync(ct), Pods.RunAsync(ct), Namespaces.RunAsync(ct));
}
