using Provisioner.Proxy.Sync;

namespace Provisioner.Proxy.Tests;

/// <summary>The bounded-frequency runner: bursts coalesce, a quiet proxy still resyncs, failures are retried.</summary>
public sealed class RunnerSpecs
{
    [Fact]
    public async Task A_burst_of_requests_within_the_minimum_interval_is_one_sync()
    {
        var runs = new List<bool>();
        using var runner = new BoundedFrequencyRunner((full, _) => { lock (runs) runs.Add(full); return Task.CompletedTask; },
            TimeSpan.FromMilliseconds(500), TimeSpan.FromMinutes(10), e => throw e);
        using var stop = new CancellationTokenSource();
        var loop = runner.RunAsync(stop.Token);
        await WaitFor(() => runner.Runs == 1); // the first sync is full and runs at once

        for (var i = 0; i < 200; i++)
            runner.Request();
        await WaitFor(() => runner.Runs == 2);
        await Task.Delay(800);

        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
        Assert.Equal([true, false], runs); // 200 requests: one partial sync
    }

    [Fact]
    public async Task A_quiet_proxy_still_runs_a_full_sync_every_interval_and_a_failed_sync_is_retried_soon()
    {
        var calls = new List<(DateTimeOffset At, bool Full)>();
        var errors = 0;
        using var runner = new BoundedFrequencyRunner((full, _) =>
            {
                lock (calls)
                    calls.Add((DateTimeOffset.UtcNow, full));
                return calls.Count == 2 ? throw new IOException("iptables-restore failed") : Task.CompletedTask;
            },
            TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(400), _ => Interlocked.Increment(ref errors));
        using var stop = new CancellationTokenSource();
        var loop = runner.RunAsync(stop.Token);

        await WaitFor(() => runner.FullRuns >= 3);

        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
        Assert.Equal(1, errors);
        Assert.All(calls, c => Assert.True(c.Full)); // nobody asked: every sync is the periodic full one
        Assert.InRange(calls[1].At - calls[0].At, TimeSpan.FromMilliseconds(350), TimeSpan.FromSeconds(2)); // waited for the interval
        Assert.InRange(calls[2].At - calls[1].At, TimeSpan.FromMilliseconds(40), TimeSpan.FromSeconds(2)); // retried, after minInterval
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
            await Task.Delay(50);
        Assert.True(condition(), "timed out waiting");
    }
}
