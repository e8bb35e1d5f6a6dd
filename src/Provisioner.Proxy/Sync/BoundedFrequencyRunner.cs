namespace Provisioner.Proxy.Sync;

/// <summary>
/// kube-proxy's bounded-frequency runner: <see cref="Request"/> asks for a sync; requests that arrive while one waits
/// out <c>minInterval</c> since the previous sync, or while a sync runs, collapse into one; and a full sync runs at
/// least every <c>maxInterval</c> even when nothing asked. A failed sync is retried after <c>minInterval</c>.
/// The first request after a quiet period runs at once: latency is paid only by bursts.
/// </summary>
public sealed class BoundedFrequencyRunner(
    Func<bool, CancellationToken, Task> sync, TimeSpan minInterval, TimeSpan maxInterval, Action<Exception> onError) : IDisposable
{
    private readonly SemaphoreSlim _requested = new(0, 1);

    /// <summary>Syncs run so far, and how many of them were full ones.</summary>
    public int Runs { get; private set; }

    public int FullRuns { get; private set; }

    public void Request()
    {
        try
        {
            _requested.Release();
        }
        catch (SemaphoreFullException)
        {
            // a request is already pending: this one is coalesced into it
        }
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var lastRun = DateTimeOffset.MinValue;
        var lastFull = DateTimeOffset.UtcNow;
        var first = true;
        while (!ct.IsCancellationRequested)
        {
            var untilFull = first ? TimeSpan.Zero : lastFull + maxInterval - DateTimeOffset.UtcNow;
            var requested = untilFull > TimeSpan.Zero && await _requested.WaitAsync(untilFull, ct).ConfigureAwait(false);
            var sinceLast = DateTimeOffset.UtcNow - lastRun;
            if (sinceLast < minInterval)
                await Task.Delay(minInterval - sinceLast, ct).ConfigureAwait(false);
            while (_requested.Wait(0, CancellationToken.None))
            {
                // everything that arrived while waiting is in this one sync
            }
            var full = first || !requested || DateTimeOffset.UtcNow - lastFull >= maxInterval;
            lastRun = DateTimeOffset.UtcNow;
            try
            {
                await sync(full, ct).ConfigureAwait(false);
                Runs++;
                if (full)
                {
                    FullRuns++;
                    lastFull = lastRun;
                }
                first = false;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                onError(e);
                Request(); // retried after minInterval, as kube-proxy's RetryAfter
            }
        }
    }

    public void Dispose() => _requested.Dispose();
}
