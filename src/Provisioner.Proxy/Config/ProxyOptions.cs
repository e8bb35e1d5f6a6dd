using Provisioner.ServiceRules.Applying;

namespace Provisioner.Proxy.Config;

/// <summary>
/// How netlab-proxy runs: kube-proxy's flags where they mean the same (<c>--kubeconfig</c>, <c>--hostname-override</c>,
/// <c>--healthz-bind-address</c>, <c>--metrics-bind-address</c>, <c>--proxy-mode</c>), the node's values from
/// <c>--config</c>, and <see cref="Netns"/> to program a network namespace instead of this host (tests, the netns lab).
/// </summary>
public sealed record ProxyOptions
{
    public const string DefaultHealthzBindAddress = "0.0.0.0:10256";
    public const string DefaultMetricsBindAddress = "127.0.0.1:10249";

    public string? Kubeconfig { get; init; }
    public required string HostnameOverride { get; init; }
    public string HealthzBindAddress { get; init; } = DefaultHealthzBindAddress;
    public string MetricsBindAddress { get; init; } = DefaultMetricsBindAddress;
    public RuleBackend ProxyMode { get; init; } = RuleBackend.Iptables;
    public required ProxyConfigFile Config { get; init; }
    public string? Netns { get; init; }

    /// <summary>How long pending changes may wait for a sync before /healthz says unhealthy (kube-proxy: 2 × syncPeriod).</summary>
    public TimeSpan HealthTimeout => Config.SyncPeriod * 2;
}
