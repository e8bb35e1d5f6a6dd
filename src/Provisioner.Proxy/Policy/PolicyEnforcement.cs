using k8s;
using Provisioner.Fabric.Ovs;
using Provisioner.Host.Processes;
using Provisioner.Proxy.Config;
using Provisioner.Proxy.Health;
using Provisioner.Proxy.Sources;
using Provisioner.Proxy.Sync;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Policy;

namespace Provisioner.Proxy.Policy;

/// <summary>
/// netlab-proxy's second controller: NetworkPolicies, Pods and Namespaces from the API, this node's policy rules
/// kept by a <see cref="PolicyRulesApplier"/> on a bounded-frequency runner of its own (the service rules' periods),
/// so a <c>kubectl apply</c> of a policy is in the kernel within minSyncPeriod. It starts on its own: a cluster that
/// refuses these kinds (older RBAC) delays the policies, never the Service rules.
/// </summary>
/// <param name="ledger">The process's own nf_tables moves, shared with the service-rules engine (neither costs the other a read).</param>
/// <param name="health">This loop's part of /healthz: every change and the first sync must be synced within its bound.</param>
public sealed class PolicyEnforcement(IKubernetes client, ProxyOptions options, Func<string?> apiPodCidr, ProxyMetrics metrics, Action<string> log,
    GenerationLedger ledger, LoopHealth health)
{
    public PolicyTracker Tracker { get; } = new();

    public async Task RunAsync(CancellationToken ct)
    {
        var sources = new PolicySources(client, Tracker, log);
        var applier = new PolicyRulesApplier(options.ProxyMode, options.Netns, ledger: ledger);
        var controller = new PolicyController(options.HostnameOverride, options.Config, Tracker, apiPodCidr, applier.SyncAsync, metrics, log, SameNodePath(options));
        var period = options.Config.MinSyncPeriod;
        using var runner = new BoundedFrequencyRunner((full, c) => SyncAsync(controller, full, c), period, options.Config.SyncPeriod,
            e => log($"policy sync failed (retrying after {Durations.Format(period)}): {e.Message}"));
        var watching = sources.RunAsync(ct);
        try
        {
            await sources.Synced.WaitAsync(ct).ConfigureAwait(false);
            log("listed networkpolicies, pods and namespaces; syncing NetworkPolicy rules");
            Tracker.Changed += runner.Request;
            Tracker.Changed += health.Changed;
            await runner.RunAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            Tracker.Changed -= runner.Request;
            Tracker.Changed -= health.Changed;
            await watching.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    private async Task SyncAsync(PolicyController controller, bool full, CancellationToken ct)
    {
        var started = health.Starting();
        try
        {
            await controller.SyncAsync(full, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            health.Failed(e);
            throw;
        }
        health.Synced(started);
    }

    /// <summary>Removes this node's policy rules (<c>--cleanup</c>), and on the OVS fabric the same-node path's flows.</summary>
    public static async Task<RulePlan> RemoveAsync(ProxyOptions options, CancellationToken ct)
    {
        var node = new PolicyNode(options.HostnameOverride, options.Config.PodCidr ?? options.Config.ClusterCidr, options.Config.ClusterCidr);
        var plan = await new PolicyRulesApplier(options.ProxyMode, options.Netns).RemoveAsync(node, ct).ConfigureAwait(false);
        if (SameNodePath(options) is { } path)
            await path(node, false, ct).ConfigureAwait(false);
        return plan;
    }

    /// <summary>The OVS fabric's same-node path, when the config names the bridge's run directory; null on other fabrics.</summary>
    private static SameNodePath? SameNodePath(ProxyOptions options) => options.Config.OvsRunDirectory is not { } directory ? null
        : async (node, wanted, ct) =>
        {
            var path = new OvsPolicyPath(options.Netns, directory, node.PodSubnet, ProcessRunner.Default);
            var drift = await path.DriftAsync(wanted, ct).ConfigureAwait(false);
            if (drift.Count > 0)
                await path.ApplyAsync(wanted, ct).ConfigureAwait(false);
            return drift;
        };
}
