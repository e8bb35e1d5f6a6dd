using k8s;
using k8s.Models;
using Provisioner.Core.Model;
using Provisioner.Core.Policy;
using Provisioner.Proxy.Tracking;
using Provisioner.ServiceRules.Policy;
using Provisioner.StackRules;

namespace Provisioner.Proxy.Policy;

/// <summary>
/// The policy controller's view of the API: every NetworkPolicy, Pod and Namespace, kept as the watchers deliver
/// them (a replayed resourceVersion changes nothing). <see cref="Snapshot"/> converts them to Core's model and builds
/// the <see cref="PolicyTable"/> with the stack's own code (<see cref="StackPolicyTable"/>), so both labs share one
/// reading of v1. A policy that cannot be converted is left out with its reason, logged once. Thread-safe.
/// </summary>
public sealed class PolicyTracker
{
    private readonly Lock _lock = new();
    private readonly ObjectStore<V1NetworkPolicy> _policies = new();
    private readonly ObjectStore<V1Pod> _pods = new();
    private readonly ObjectStore<V1Namespace> _namespaces = new();
    private readonly Dictionary<string, string> _skipped = new(StringComparer.Ordinal);

    /// <summary>Raised (outside the lock) after every change of a policy, pod or namespace.</summary>
    public event Action? Changed;

    public void ReplacePolicies(IEnumerable<V1NetworkPolicy> items) => Mutate(() => _policies.Replace(items).Count > 0);

    public void OnPolicy(WatchEventType type, V1NetworkPolicy item) => Mutate(() => _policies.Apply(type, item).Changed);

    public void ReplacePods(IEnumerable<V1Pod> items) => Mutate(() => _pods.Replace(items).Count > 0);

    public void OnPod(WatchEventType type, V1Pod item) => Mutate(() => _pods.Apply(type, item).Changed);

    public void ReplaceNamespaces(IEnumerable<V1Namespace> items) => Mutate(() => _namespaces.Replace(items).Count > 0);

    public void OnNamespace(WatchEventType type, V1Namespace item) => Mutate(() => _namespaces.Apply(type, item).Changed);

    /// <summary>The table for the API's state now, with the counts behind it and the reasons of newly skipped policies.</summary>
    public PolicySnapshot Snapshot()
    {
        lock (_lock)
        {
            var reasons = new List<string>();
            var policies = new List<NetworkPolicySpec>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            // In key order: the table (and so the rules and their fingerprint) does not depend on the order events came in.
            foreach (var (key, api) in _policies.Objects.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                seen.Add(key);
                try
                {
                    policies.Add(PolicyConversion.ToPolicy(api));
                    _skipped.Remove(key);
                }
                catch (SkippedObjectException e)
                {
                    if (!_skipped.TryGetValue(key, out var old) || old != e.Message)
                        reasons.Add($"NetworkPolicy {key}: skipped: {e.Message}");
                    _skipped[key] = e.Message;
                }
            }
            foreach (var gone in _skipped.Keys.Where(k => !seen.Contains(k)).ToList())
                _skipped.Remove(gone);
            var namespaces = _namespaces.Objects.Values.Select(PolicyConversion.ToNamespace).ToList();
            var pods = _pods.Objects.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => PolicyConversion.ToPod(p.Value)).OfType<PolicyEndpoint.Pod>().ToList();
            var table = StackPolicyTable.Build(new PolicyEvaluator(policies, namespaces), pods);
            return new PolicySnapshot(table, policies.Count, pods.Count, reasons);
        }
    }

    private void Mutate(Func<bool> change)
    {
        bool changed;
        lock (_lock)
            changed = change();
        if (changed)
            Changed?.Invoke();
    }
}

/// <summary>One snapshot: the table, how many policies and pods (with an address, not hostNetwork) it came from, and skip reasons.</summary>
public sealed record PolicySnapshot(PolicyTable Table, int Policies, int Pods, IReadOnlyList<string> SkipReasons);
