using Prometheus;

namespace Provisioner.Proxy.Health;

/// <summary>
/// netlab-proxy's Prometheus metrics, named after kube-proxy's (kubeproxy_sync_proxy_rules_* become
/// netlab_proxy_sync_proxy_rules_*) so a kube-proxy dashboard's queries carry over. One registry per proxy.
/// </summary>
public sealed class ProxyMetrics
{
    public ProxyMetrics()
    {
        var factory = Metrics.WithCustomRegistry(Registry);
        SyncDuration = factory.CreateHistogram("netlab_proxy_sync_proxy_rules_duration_seconds",
            "How long a sync of the service rules took, from snapshot to kernel", new HistogramConfiguration
            {
                LabelNames = ["kind"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 16),
            });
        LastSync = factory.CreateGauge("netlab_proxy_sync_proxy_rules_last_timestamp_seconds", "When the last successful sync ended (Unix time)");
        LastQueued = factory.CreateGauge("netlab_proxy_sync_proxy_rules_last_queued_timestamp_seconds", "When the last change waiting for a sync arrived (Unix time)");
        Syncs = factory.CreateCounter("netlab_proxy_syncs_total", "Syncs by kind: full (periodic or first) or partial (changes only)",
            new CounterConfiguration { LabelNames = ["kind"] });
        Errors = factory.CreateCounter("netlab_proxy_sync_proxy_rules_errors_total", "Syncs that failed (retried after minSyncPeriod)");
        RuleChanges = factory.CreateCounter("netlab_proxy_sync_proxy_rules_changes_total", "Rules or map elements a sync added or removed",
            new CounterConfiguration { LabelNames = ["change"] });
        Services = factory.CreateGauge("netlab_proxy_services", "Services programmed (valid, not skipped)");
        Endpoints = factory.CreateGauge("netlab_proxy_endpoints", "Endpoints programmed, over all services");
        Skipped = factory.CreateCounter("netlab_proxy_skipped_objects_total", "API objects skipped as invalid (the log says why)");
        ConntrackDeletions = factory.CreateCounter("netlab_proxy_conntrack_deletions_total", "conntrack -D commands run for stale UDP flows");
        PolicySyncDuration = factory.CreateHistogram("netlab_proxy_sync_policy_rules_duration_seconds",
            "How long a sync of the NetworkPolicy rules took, from snapshot to kernel", new HistogramConfiguration
            {
                LabelNames = ["kind"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 16),
            });
        PolicySyncs = factory.CreateCounter("netlab_proxy_policy_syncs_total",
            "NetworkPolicy syncs that reached the kernel, by kind: full (periodic or first, reads the kernel) or partial (the node's part changed)",
            new CounterConfiguration { LabelNames = ["kind"] });
        PolicyErrors = factory.CreateCounter("netlab_proxy_sync_policy_rules_errors_total", "NetworkPolicy syncs that failed (retried after minSyncPeriod)");
        PolicyRuleChanges = factory.CreateCounter("netlab_proxy_sync_policy_rules_changes_total", "NetworkPolicy rule lines a sync added or removed",
            new CounterConfiguration { LabelNames = ["change"] });
        PolicyLastSync = factory.CreateGauge("netlab_proxy_sync_policy_rules_last_timestamp_seconds", "When the last successful NetworkPolicy sync ended (Unix time)");
        NetworkPolicies = factory.CreateGauge("netlab_proxy_network_policies", "NetworkPolicies in force (converted, not skipped)");
        IsolatedPods = factory.CreateGauge("netlab_proxy_policy_isolated_pods", "Pods some NetworkPolicy isolates, in either direction");
        Healthy = factory.CreateGauge("netlab_proxy_healthy", "1 while a controller loop is healthy (as /healthz judges it), else 0; by loop: services or policies",
            new GaugeConfiguration { LabelNames = ["loop"] });
        DotNetStats.Register(Registry); // process_resident_memory_bytes and friends
    }

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();
    public Histogram SyncDuration { get; }
    public Gauge LastSync { get; }
    public Gauge LastQueued { get; }
    public Counter Syncs { get; }
    public Counter Errors { get; }
    public Counter RuleChanges { get; }
    public Gauge Services { get; }
    public Gauge Endpoints { get; }
    public Counter Skipped { get; }
    public Counter ConntrackDeletions { get; }
    public Histogram PolicySyncDuration { get; }
    public Counter PolicySyncs { get; }
    public Counter PolicyErrors { get; }
    public Counter PolicyRuleChanges { get; }
    public Gauge PolicyLastSync { get; }
    public Gauge NetworkPolicies { get; }
    public Gauge IsolatedPods { get; }
    public Gauge Healthy { get; }

    /// <summary>Sets <see cref="Healthy"/> from <paramref name="health"/> (before each scrape).</summary>
    public void Report(ProxyHealth health)
    {
        Healthy.WithLabels("services").Set(health.ServicesHealthy ? 1 : 0);
        foreach (var loop in health.Loops)
            Healthy.WithLabels(loop.Label).Set(loop.Problem is null ? 1 : 0);
    }
}
