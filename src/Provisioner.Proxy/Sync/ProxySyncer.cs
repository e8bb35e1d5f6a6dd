using System.Diagnostics;
using Prometheus;
using Provisioner.Proxy.Health;
using Provisioner.Proxy.Rules;
using Provisioner.Proxy.Tracking;
using Provisioner.ServiceRules.Model;

namespace Provisioner.Proxy.Sync;

/// <summary>
/// One sync, as the runner calls it: take the tracker's snapshot, hand the table to the rule sink, then delete the
/// UDP conntrack entries the change made stale. Remembers the last applied table (for the conntrack diff); a failed
/// sync marks everything changed so the retry is a full one.
/// </summary>
public sealed class ProxySyncer(ChangeTracker tracker, IRuleSink sink, ConntrackCleaner conntrack, ProxyMetrics metrics, ProxyHealth health, Action<string> log)
{
    private ServiceTable? _applied;

    public ServiceTable? Applied => _applied;

    public async Task SyncAsync(bool full, CancellationToken ct)
    {
        if (full)
            tracker.MarkAllChanged();
        var queued = tracker.OldestPending;
        var taken = Stopwatch.StartNew();
        var snapshot = tracker.Snapshot();
        var snapshotTime = taken.Elapsed;
        foreach (var reason in snapshot.SkipReasons)
        {
            log(reason);
            metrics.Skipped.Inc();
        }
        if (_applied is not null && !snapshot.Full && snapshot.ChangedServices.Count == 0)
            return;
        var kind = snapshot.Full ? "full" : "partial";
        var clock = Stopwatch.StartNew();
        try
        {
            var result = await sink.SyncAsync(snapshot.Table, snapshot.Node, snapshot.Full, ct).ConfigureAwait(false);
            var rulesTime = clock.Elapsed;
            var deleted = await conntrack.CleanAsync(_applied, snapshot.Table, snapshot.Node, ct).ConfigureAwait(false);
            _applied = snapshot.Table;
            Record(kind, clock.Elapsed, result, deleted, snapshot);
            if (result.Applied || deleted > 0)
                log($"{kind} sync: {snapshot.ChangedServices.Count} service(s) changed, {result.Summary}" +
                    $"{(deleted > 0 ? $", {deleted} conntrack deletion(s)" : "")} in {clock.Elapsed.TotalMilliseconds:0} ms " +
                    $"(snapshot {snapshotTime.TotalMilliseconds:0} ms before it, rules {rulesTime.TotalMilliseconds:0} ms)");
        }
        catch
        {
            metrics.Errors.Inc();
            tracker.MarkAllChanged();
            throw;
        }
        if (queued is { } q)
            metrics.LastQueued.Set(q.ToUnixTimeMilliseconds() / 1000.0);
    }

    private void Record(string kind, TimeSpan elapsed, RuleSyncResult result, int deleted, TrackerSnapshot snapshot)
    {
        metrics.SyncDuration.WithLabels(kind).Observe(elapsed.TotalSeconds);
        metrics.Syncs.WithLabels(kind).Inc();
        metrics.RuleChanges.WithLabels("add").Inc(result.Added);
        metrics.RuleChanges.WithLabels("remove").Inc(result.Removed);
        metrics.ConntrackDeletions.Inc(deleted);
        metrics.Services.Set(snapshot.Table.Services.Count);
        metrics.Endpoints.Set(snapshot.EndpointCount);
        metrics.LastSync.SetToCurrentTimeUtc();
        health.Synced();
    }
}
