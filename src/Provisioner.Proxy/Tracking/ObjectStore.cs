using k8s;
using k8s.Models;

namespace Provisioner.Proxy.Tracking;

/// <summary>
/// The last state of one kind of API object, keyed by namespace/name. An event or a relist that carries the
/// resourceVersion already held changes nothing, so a replayed event is never applied twice.
/// </summary>
internal sealed class ObjectStore<T> where T : IKubernetesObject<V1ObjectMeta>
{
    private readonly Dictionary<string, T> _objects = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, T> Objects => _objects;

    public int Count => _objects.Count;

    /// <summary>Applies one watch event; returns the object it replaced (or default) and whether anything changed.</summary>
    public (bool Changed, T? Previous) Apply(WatchEventType type, T item)
    {
        var key = ApiConversion.KeyOf(item.Metadata);
        _objects.TryGetValue(key, out var previous);
        if (type == WatchEventType.Deleted)
            return (_objects.Remove(key), previous);
        if (previous is not null && previous.Metadata.ResourceVersion == item.Metadata.ResourceVersion)
            return (false, previous);
        _objects[key] = item;
        return (true, previous);
    }

    /// <summary>Replaces everything with a fresh list; returns the objects that were added, changed or removed (old and new).</summary>
    public IReadOnlyList<T> Replace(IEnumerable<T> items)
    {
        var fresh = items.ToDictionary(i => ApiConversion.KeyOf(i.Metadata), StringComparer.Ordinal);
        var touched = new List<T>();
        foreach (var (key, old) in _objects)
        {
            if (!fresh.TryGetValue(key, out var now) || now.Metadata.ResourceVersion != old.Metadata.ResourceVersion)
                touched.Add(old);
        }
        foreach (var (key, now) in fresh)
        {
            if (!_objects.TryGetValue(key, out var old) || now.Metadata.ResourceVersion != old.Metadata.ResourceVersion)
                touched.Add(now);
        }
        _objects.Clear();
        foreach (var (key, item) in fresh)
            _objects[key] = item;
        return touched;
    }
}
