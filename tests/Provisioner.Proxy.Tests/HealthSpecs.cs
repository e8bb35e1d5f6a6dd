using Provisioner.Proxy.Health;

namespace Provisioner.Proxy.Tests;

/// <summary>
/// /healthz judges every controller loop of the process: the service rules as kube-proxy does, and the NetworkPolicy
/// controller the same way (a change, or the first sync, unsynced past the bound), with a message naming it.
/// </summary>
public sealed class HealthSpecs
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static (ProxyHealth Health, LoopHealth Policies, Clock Clock) Proxy()
    {
        var clock = new Clock();
        var policies = new LoopHealth("NetworkPolicy controller", "policies", Bound, clock);
        var health = new ProxyHealth(Bound, () => null, clock, policies);
        health.Synced(); // the service rules keep up throughout
        return (health, policies, clock);
    }

    [Fact]
    public void The_proxy_turns_unhealthy_naming_the_policy_controller_when_its_syncs_fail_past_the_bound()
    {
        var (health, policies, clock) = Proxy();
        policies.Synced(policies.Starting());
        Assert.True(health.IsHealthy);

        clock.Now += TimeSpan.FromSeconds(5);
        policies.Changed();
        policies.Starting();
        policies.Failed(new InvalidOperationException("'nft -f -' failed: Error: Could not process rule"));
        clock.Now += TimeSpan.FromSeconds(59);
        Assert.True(health.IsHealthy, "a failing sync within the bound is retried, not yet unhealthy");

        clock.Now += TimeSpan.FromSeconds(2);
        Assert.False(health.IsHealthy);
        Assert.True(health.ServicesHealthy, "the service rules are fine: only the policy loop fails");
        Assert.Equal(["the NetworkPolicy controller has not synced for 61 s (bound 60 s; last error: 'nft -f -' failed: Error: Could not process rule)"],
            health.Problems());
        var metrics = new ProxyMetrics();
        metrics.Report(health);
        Assert.Equal(0, metrics.Healthy.WithLabels("policies").Value);
        Assert.Equal(1, metrics.Healthy.WithLabels("services").Value);

        policies.Synced(policies.Starting());
        Assert.True(health.IsHealthy);
        metrics.Report(health);
        Assert.Equal(1, metrics.Healthy.WithLabels("policies").Value);
    }

    [Fact]
    public void A_policy_controller_that_never_synced_since_start_is_unhealthy_past_the_bound()
    {
        var (health, _, clock) = Proxy();
        clock.Now += TimeSpan.FromSeconds(61);

        Assert.Equal(["the NetworkPolicy controller has not synced for 61 s (bound 60 s; no sync finished)"], health.Problems());
    }

    [Fact]
    public void A_change_that_arrives_during_a_sync_still_waits_for_the_next_one()
    {
        var (health, policies, clock) = Proxy();
        policies.Synced(policies.Starting());
        var started = policies.Starting();
        clock.Now += TimeSpan.FromSeconds(1);
        policies.Changed(); // after the sync took its snapshot
        policies.Synced(started);
        clock.Now += TimeSpan.FromSeconds(61);

        Assert.False(health.IsHealthy);
    }
}
