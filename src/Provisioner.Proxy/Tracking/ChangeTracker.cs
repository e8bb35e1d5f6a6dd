using System.Net;
using System.Net.Sockets;
using k8s;
using k8s.Models;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Validation;
using Service = Provisioner.ServiceRules.Model.Service;

namespace Provisioner.Proxy.Tracking;

/// <summary>
/// kube-proxy's service and endpoints change trackers in one: it holds the API's Services, EndpointSlices and this
/// node's Node, remembers which services changed since the last <see cref="Snapshot"/>, and converts only those.
/// A service the rules cannot take (bad port, IP outside the service CIDR, a frontend another service owns) is left
/// out with its reason; the rest of the table goes on. Thread-safe: the watchers write, the sync loop reads.
/// </summary>
public sealed class ChangeTracker(string nodeName, Config.ProxyConfigFile config, TimeProvider? time = null)
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ObjectStore<V1Service> _services = new();
    private readonly ObjectStore<V1EndpointSlice> _slices = new();
    private readonly ObjectStore<V1Node> _nodes = new();
    private readonly Dictionary<string, HashSet<string>> _slicesByService = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Service> _converted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _skipped = new(StringComparer.Ordinal); // key -> reason
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private IReadOnlyList<string> _nodeIPs = [];
    private bool _allDirty = true;
    private DateTimeOffset? _oldestPending;

    /// <summary>Raised (outside the lock) after every change that needs a sync.</summary>
    public event Action? Changed;

    /// <summary>Raised (outside the lock) after every change of any object, even one the rules ignore (another node's
    /// conditions): the LoadBalancer controller's trigger.</summary>
    public event Action? AnyChanged;

    /// <summary>When the oldest change not yet taken by a snapshot arrived; null when none is waiting (for /healthz).</summary>
    public DateTimeOffset? OldestPending { get { lock (_lock) return _oldestPending; } }

    public void ReplaceServices(IEnumerable<V1Service> items) => Mutate(() => { foreach (var s in _services.Replace(items)) _dirty.Add(ApiConversion.KeyOf(s.Metadata)); });

    public void OnService(WatchEventType type, V1Service item) => Mutate(() =>
    {
        if (_services.Apply(type, item).Changed)
            _dirty.Add(ApiConversion.KeyOf(item.Metadata));
    });

    public void ReplaceSlices(IEnumerable<V1EndpointSlice> items) => Mutate(() =>
    {
        foreach (var slice in _slices.Replace(items))
            Reindex(slice, present: _slices.Objects.ContainsKey(ApiConversion.KeyOf(slice.Metadata)));
    });

    public void OnSlice(WatchEventType type, V1EndpointSlice item) => Mutate(() =>
    {
        var (changed, previous) = _slices.Apply(type, item);
        if (previous is not null)
            Reindex(previous, present: false);
        if (changed || previous is not null)
            Reindex(item, present: type != WatchEventType.Deleted);
    });

    public void ReplaceNodes(IEnumerable<V1Node> items) => Mutate(() =>
    {
        var list = items.ToList();
        _nodes.Replace(list);
        SetNode(list.FirstOrDefault(n => n.Metadata.Name == nodeName));
    });

    public void OnNode(WatchEventType type, V1Node item) => Mutate(() =>
    {
        _nodes.Apply(type, item);
        if (item.Metadata.Name == nodeName)
            SetNode(type == WatchEventType.Deleted ? null : item);
    });

    /// <summary>This node's <c>spec.podCIDR</c> from its Node object, when it has one (the policy rules' node subnet).</summary>
    public string? NodePodCidr()
    {
        lock (_lock)
            return _nodes.Objects.TryGetValue("/" + nodeName, out var node) && node.Spec?.PodCIDR is { Length: > 0 } cidr ? cidr : null;
    }

    /// <summary>Marks everything for reconversion: the periodic full resync repairs what a partial one may have missed.</summary>
    public void MarkAllChanged() => Mutate(() => _allDirty = true);

    /// <summary>
    /// The table for the API's state now, the keys of the services that changed since the last snapshot (all of them
    /// after a relist of nodes or <see cref="MarkAllChanged"/>), and the reasons of services newly skipped.
    /// </summary>
    public TrackerSnapshot Snapshot()
    {
        lock (_lock)
        {
            var node = config.NodeFor(nodeName, _nodeIPs);
            var full = _allDirty;
            var keys = full ? [.. _services.Objects.Keys, .. _converted.Keys, .. _skipped.Keys] : _dirty.ToList();
            var reasons = new List<string>();
            foreach (var key in keys.Distinct(StringComparer.Ordinal))
                Convert(key, node, reasons);
            var table = new ServiceTable([.. _converted.Values]);
            table = DropConflicts(table, node, reasons);
            ReportOrphanSlices(reasons);
            var changed = keys.ToHashSet(StringComparer.Ordinal);
            _dirty.Clear();
            _allDirty = false;
            _oldestPending = null;
            return new TrackerSnapshot(table, node, changed, full, reasons, _slices.Count);
        }
    }

    /// <summary>
    /// What the LoadBalancer controller decides from, taken now: every Node, this node's addresses, and each service
    /// that has a LoadBalancer type or externalIPs, converted afresh (a service the rules skip is left out).
    /// </summary>
    public LoadBalancingView LoadBalancing()
    {
        lock (_lock)
        {
            var services = new List<BalancedService>();
            foreach (var (key, api) in _services.Objects)
            {
                if (api.Spec is not { } spec || (spec.Type != "LoadBalancer" && spec.ExternalIPs is not { Count: > 0 }
                    && api.Status?.LoadBalancer?.Ingress is not { Count: > 0 }))
                    continue;
                var slices = _slicesByService.TryGetValue(key, out var names) ? names.Select(n => _slices.Objects[n]) : [];
                try
                {
                    services.Add(new BalancedService(key, api, ApiConversion.ToService(api, slices)));
                }
                catch (SkippedObjectException)
                {
                    // skipped by the rules too (and logged there): nothing to announce
                }
            }
            return new LoadBalancingView(services, [.. _nodes.Objects.Values], config.NodeFor(nodeName, _nodeIPs).NodeIPs);
        }
    }

    private void Convert(string key, NodeContext node, List<string> reasons)
    {
        _converted.Remove(key);
        if (!_services.Objects.TryGetValue(key, out var api))
        {
            _skipped.Remove(key);
            return;
        }
        var slices = _slicesByService.TryGetValue(key, out var names) ? names.Select(n => _slices.Objects[n]) : [];
        string? reason;
        try
        {
            var service = ApiConversion.ToService(api, slices);
            var problems = ServiceTableValidator.Validate(new ServiceTable([service]), node);
            reason = problems.Count == 0 ? null : string.Join("; ", problems.Select(p => $"{p.Field}: {p.Message}"));
            if (reason is null)
                _converted[key] = service;
        }
        catch (SkippedObjectException e)
        {
            reason = e.Message;
        }
        Remember(key, reason, reasons);
    }

    /// <summary>Two valid services may still claim one frontend or node port: the later claimant is skipped.</summary>
    private ServiceTable DropConflicts(ServiceTable table, NodeContext node, List<string> reasons)
    {
        if (!ServiceTableValidator.HasClaimConflicts(table))
            return table; // each converted service is valid alone: a shared claim is the only problem left to find
        for (var pass = 0; pass < 3; pass++)
        {
            var problems = ServiceTableValidator.Validate(table, node).Where(p => p.Service != "node").ToList();
            if (problems.Count == 0)
                return table;
            foreach (var group in problems.GroupBy(p => p.Service, StringComparer.Ordinal))
            {
                _converted.Remove(group.Key);
                _dirty.Add(group.Key); // tried again at the next sync: the other claimant may be gone by then
                Remember(group.Key, string.Join("; ", group.Select(p => $"{p.Field}: {p.Message}")), reasons);
            }
            table = new ServiceTable([.. _converted.Values]);
        }
        return table;
    }

    private void ReportOrphanSlices(List<string> reasons)
    {
        foreach (var (serviceKey, slices) in _slicesByService.Where(e => !_services.Objects.ContainsKey(e.Key)))
        {
            foreach (var slice in slices)
                Remember("EndpointSlice " + slice, $"its Service {serviceKey} does not exist; skipped until it does", reasons);
        }
    }

    /// <summary>Logs a skip reason once (again only when it changes); forgets it once the object is fine.</summary>
    private void Remember(string key, string? reason, List<string> reasons)
    {
        if (reason is null)
        {
            _skipped.Remove(key);
            return;
        }
        if (_skipped.TryGetValue(key, out var old) && old == reason)
            return;
        _skipped[key] = reason;
        reasons.Add($"{key}: skipped: {reason}");
    }

    private void Reindex(V1EndpointSlice slice, bool present)
    {
        var sliceKey = ApiConversion.KeyOf(slice.Metadata);
        if (ApiConversion.ServiceKeyOf(slice) is not { } serviceKey)
        {
            _skipped[$"EndpointSlice {sliceKey}"] = $"no {ApiConversion.ServiceNameLabel} label";
            return;
        }
        if (present)
        {
            if (!_slicesByService.TryGetValue(serviceKey, out var set))
                _slicesByService[serviceKey] = set = new HashSet<string>(StringComparer.Ordinal);
            set.Add(sliceKey);
        }
        else if (_slicesByService.TryGetValue(serviceKey, out var set) && set.Remove(sliceKey) && set.Count == 0)
        {
            _slicesByService.Remove(serviceKey);
        }
        _skipped.Remove("EndpointSlice " + sliceKey);
        _dirty.Add(serviceKey);
    }

    private void SetNode(V1Node? node)
    {
        IReadOnlyList<string> ips = [.. (node?.Status?.Addresses ?? [])
            .Where(a => a.Type == "InternalIP" && IPAddress.TryParse(a.Address, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork)
            .Select(a => a.Address)];
        if (ips.SequenceEqual(_nodeIPs))
            return;
        _nodeIPs = ips;
        _allDirty = true;
    }

    private void Mutate(Action change)
    {
        bool pending;
        lock (_lock)
        {
            change();
            pending = _allDirty || _dirty.Count > 0;
            if (pending)
                _oldestPending ??= _time.GetUtcNow();
        }
        if (pending)
            Changed?.Invoke();
        AnyChanged?.Invoke();
    }
}

/// <summary>What one sync programs: the whole valid table, which services changed, and what was newly skipped.</summary>
public sealed record TrackerSnapshot(
    ServiceTable Table, NodeContext Node, IReadOnlySet<string> ChangedServices, bool Full, IReadOnlyList<string> SkipReasons, int SliceCount)
{
    public int EndpointCount => Table.Services.Sum(s => s.Endpoints.Count);
}

/// <summary>A service with something to announce or allocate: its key, the API object, and its rules-model form.</summary>
public sealed record BalancedService(string Key, V1Service Api, Service Service);

/// <summary>The LoadBalancer controller's input: those services, every Node, and this node's own addresses.</summary>
public sealed record LoadBalancingView(IReadOnlyList<BalancedService> Services, IReadOnlyList<V1Node> Nodes, IReadOnlyList<string> NodeIPs);
