using System.Globalization;

namespace Provisioner.Proxy.Health;

/// <summary>
/// The health of a controller loop beside the service rules (the NetworkPolicy one), as kube-proxy judges its own:
/// unhealthy once a change, or the first sync after start, has waited longer than the bound for a successful sync
/// (every sync failing, or the loop stuck). <see cref="Problem"/> says so, naming the loop and its last error.
/// </summary>
/// <param name="name">What /healthz calls it ("NetworkPolicy controller").</param>
/// <param name="label">Its metrics label ("policies").</param>
public sealed class LoopHealth(string name, string label, TimeSpan bound, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private DateTimeOffset? _waitingSince = (time ?? TimeProvider.System).GetUtcNow(); // the first sync is awaited from the start
    private string? _lastError;

    public string Label => label;

    /// <summary>Something the loop must sync arrived.</summary>
    public void Changed()
    {
        lock (_lock)
            _waitingSince ??= _time.GetUtcNow();
    }

    /// <summary>A sync begins; pass what this returns to <see cref="Synced"/>.</summary>
    public DateTimeOffset Starting() => _time.GetUtcNow();

    /// <summary>The sync that began at <paramref name="started"/> succeeded: what waited since before it is done.</summary>
    public void Synced(DateTimeOffset started)
    {
        lock (_lock)
        {
            _lastError = null;
            if (_waitingSince <= started)
                _waitingSince = null;
        }
    }

    public void Failed(Exception error)
    {
        lock (_lock)
            _lastError = error.Message;
    }

    /// <summary>Null while healthy; else what is wrong, e.g. "the NetworkPolicy controller has not synced for 250 s (bound 60 s; last error: ...)".</summary>
    public string? Problem
    {
        get
        {
            lock (_lock)
            {
                if (_waitingSince is not { } since || _time.GetUtcNow() - since is var waited && waited <= bound)
                    return null;
                return $"the {name} has not synced for {Seconds(waited)} s (bound {Seconds(bound)} s" +
                    (_lastError is null ? "; no sync finished" : "; last error: " + _lastError) + ")";
            }
        }
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0", CultureInfo.InvariantCulture);
}
