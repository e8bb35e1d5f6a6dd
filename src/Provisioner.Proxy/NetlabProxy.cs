using k8s;
using Provisioner.Proxy.Config;
using Provisioner.Proxy.Health;
using Provisioner.Proxy.LoadBalancing;
using Provisioner.Proxy.Policy;
using Provisioner.Proxy.Rules;
using Provisioner.Proxy.Sources;
using Provisioner.Proxy.Sync;
using Provisioner.Proxy.Tracking;
using Provisioner.ServiceRules.Applying;
using Provisioner.Host.Processes;

namespace Provisioner.Proxy;

/// <summary>
/// netlab-proxy wired together: the API sources feed the change tracker, every change requests a sync from the
/// bounded-frequency runner, the syncer programs the rules; the LoadBalancer controller and the NetworkPolicy
/// controller (<see cref="PolicyEnforcement"/>) run beside it on runners of their own; /healthz, /livez and /metrics
/// are served meanwhile.
/// Runs until cancelled (SIGTERM from systemd, Ctrl-C).
/// </summary>
public sealed class NetlabProxy(ProxyOptions options, TextWriter logWriter)
{
    private readonly Lock _logLock = new();

    public void Log(string message)
    {
        lock (_logLock)
            logWriter.WriteLine($"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} netlab-proxy: {message}");
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var client = new Kubernetes(ClientConfiguration(options.Kubeconfig));
        var tracker = new ChangeTracker(options.HostnameOverride, options.Config);
        var sources = new KubernetesSources(client, tracker, Log);
        var metrics = new ProxyMetrics();
        var policyHealth = new LoopHealth("NetworkPolicy controller", "policies", options.HealthTimeout);
        var health = new ProxyHealth(options.HealthTimeout, () => tracker.OldestPending, loops: [policyHealth]);
        using var ledger = new GenerationLedger(); // the two controllers' own kernel writes, so neither costs the other a full read
        using var engine = new ServiceRulesEngine(options.ProxyMode, options.Netns, new ServiceRulesEngineOptions { Ledger = ledger });
        var sink = new EngineRuleSink(engine);
        var syncer = new ProxySyncer(tracker, sink, new ConntrackCleaner(options.Netns), metrics, health, Log);
        using var runner = new BoundedFrequencyRunner(syncer.SyncAsync, options.Config.MinSyncPeriod, options.Config.SyncPeriod,
            e => Log($"sync failed (retrying after {Durations.Format(options.Config.MinSyncPeriod)}): {e.Message}"));
        var balancer = new LoadBalancerController(options.HostnameOverride, options.Config, tracker,
            (ns, name, patch, c) => client.CoreV1.PatchNamespacedServiceStatusAsync(new k8s.Models.V1Patch(patch, k8s.Models.V1Patch.PatchType.MergePatch), name, ns, cancellationToken: c),
            ProcessRunner.Default, options.Netns, m => Log("load balancers: " + m));
        using var balancing = new BoundedFrequencyRunner((_, c) => balancer.SyncAsync(c), options.Config.MinSyncPeriod, options.Config.SyncPeriod,
            e => Log($"load balancer sync failed (retrying after {Durations.Format(options.Config.MinSyncPeriod)}): {e.Message}"));
        var policies = new PolicyEnforcement(client, options, tracker.NodePodCidr, metrics, Log, ledger, policyHealth);
        using var healthz = new HttpEndpoints(options.HealthzBindAddress, new Dictionary<string, Func<System.Net.HttpListenerResponse, Task>>
        {
            ["/healthz"] = health.WriteAsync, ["/livez"] = health.WriteAsync,
        });
        using var metricsServer = new HttpEndpoints(options.MetricsBindAddress, new Dictionary<string, Func<System.Net.HttpListenerResponse, Task>>
        {
            ["/metrics"] = async r =>
            {
                r.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                metrics.Report(health);
                await metrics.Registry.CollectAndExportAsTextAsync(r.OutputStream, ct).ConfigureAwait(false);
            },
        });
        healthz.Start(Log);
        metricsServer.Start(Log);
        Log($"node {options.HostnameOverride}, {options.ProxyMode} rules{(options.Netns is null ? "" : $" in netns {options.Netns}")}, " +
            $"healthz on {options.HealthzBindAddress}, metrics on {options.MetricsBindAddress}, API {client.BaseUri}");
        var watching = sources.RunAsync(ct);
        var policing = policies.RunAsync(ct);
        try
        {
            await sources.Synced.WaitAsync(ct).ConfigureAwait(false);
            Log($"listed services, endpointslices and nodes; syncing rules (minSyncPeriod {Durations.Format(options.Config.MinSyncPeriod)}, " +
                $"syncPeriod {Durations.Format(options.Config.SyncPeriod)})");
            tracker.Changed += runner.Request;
            tracker.AnyChanged += balancing.Request;
            await Task.WhenAll(runner.RunAsync(ct), balancing.RunAsync(ct), policing).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // stopping: the rules stay in place (as kube-proxy's do), so traffic keeps flowing across a restart
        }
        finally
        {
            tracker.Changed -= runner.Request;
            tracker.AnyChanged -= balancing.Request;
            await watching.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            await policing.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            client.Dispose();
        }
    }

    /// <summary>The kubeconfig given, else the in-cluster service account; the file's content is never logged.</summary>
    private static KubernetesClientConfiguration ClientConfiguration(string? kubeconfig)
    {
        if (kubeconfig is not null)
        {
            if (!File.Exists(kubeconfig))
                throw new InvalidDataException($"--kubeconfig {kubeconfig}: no such file; the node's deploy step writes /etc/netlab/proxy/kubeconfig");
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig);
        }
        return KubernetesClientConfiguration.IsInCluster()
            ? KubernetesClientConfiguration.InClusterConfig()
            : throw new InvalidDataException("no --kubeconfig given and not running in a pod; pass --kubeconfig FILE");
    }
}
