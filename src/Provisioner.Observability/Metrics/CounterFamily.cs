using Prometheus;

namespace Provisioner.Observability.Metrics;

/// <summary>
/// A Prometheus counter fed with the kernel's absolute values. A kernel counter starts again from zero when its rule,
/// element or interface is recreated (<c>netlab up</c> after drift): the value already counted is kept as an offset,
/// so the exported counter never goes down. Series not seen in a complete update are removed (a service deleted, a pod
/// gone), with their offsets.
/// </summary>
internal sealed class CounterFamily(Counter counter)
{
    private readonly Dictionary<string, (double Last, double Offset)> _state = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    public Counter Counter => counter;

    public void Set(double raw, params string[] labels)
    {
        var key = string.Join('\u001f', labels);
        var (last, offset) = _state.GetValueOrDefault(key);
        if (raw < last)
            offset += last;
        _state[key] = (raw, offset);
        _seen.Add(key);
        counter.WithLabels(labels).IncTo(offset + raw);
    }

    /// <summary>Ends an update: forgets the series not set since the last call, unless the update was partial.</summary>
    public void EndUpdate(bool complete)
    {
        if (complete)
        {
            foreach (var labels in counter.GetAllLabelValues().ToList())
            {
                var key = string.Join('\u001f', labels);
                if (_seen.Contains(key))
                    continue;
                counter.RemoveLabelled(labels);
                _state.Remove(key);
            }
        }
        _seen.Clear();
    }
}

/// <summary>A Prometheus gauge whose series follow the lab the same way (<see cref="CounterFamily"/>).</summary>
internal sealed class GaugeFamily(Gauge gauge)
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    public void Set(double value, params string[] labels)
    {
        _seen.Add(string.Join('\u001f', labels));
        gauge.WithLabels(labels).Set(value);
    }

    public void EndUpdate(bool complete)
    {
        if (complete)
        {
            foreach (var labels in gauge.GetAllLabelValues().ToList().Where(l => !_seen.Contains(string.Join('\u001f', l))))
                gauge.RemoveLabelled(labels);
        }
        _seen.Clear();
    }
}
