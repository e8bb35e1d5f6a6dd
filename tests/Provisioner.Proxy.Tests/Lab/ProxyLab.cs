using Provisioner.Proxy.Tests.Fakes;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Tests.Lab;
using Provisioner.Testing;
using static Provisioner.Proxy.Tests.Fakes.Api;

namespace Provisioner.Proxy.Tests.Lab;

/// <summary>The two-node lab, built once for a test class on first use (so a class of skipped tests builds nothing).</summary>
public sealed class LabFixture : IDisposable
{
    private readonly Lazy<TwoNodeLab> _lab = new(() => new TwoNodeLab());

    public TwoNodeLab Lab => _lab.Value;

    public void Dispose()
    {
        if (_lab.IsValueCreated)
            _lab.Value.Dispose();
    }
}

/// <summary>
/// One scenario: a fake API server holding node-a and node-b, and a real netlab proxy for node-a programming the lab's
/// node-a namespace. <see cref="ConvergedAsync"/> waits until the kernel holds exactly the rules of an expected table
/// (the applier's own plan against the kernel is empty), and fails with the remaining diff and the proxy's log.
/// </summary>
public sealed class ProxyLab : IAsyncDisposable
{
    public const string Config = "clusterCIDR: 10.244.0.0/16\nserviceCIDR: 10.96.0.0/16\nminSyncPeriod: 200ms\nsyncPeriod: 30s\n";

    private ProxyLab(TwoNodeLab lab, FakeApiServer api, RuleBackend backend, string config)
    {
        Lab = lab;
        Api = api;
        Backend = backend;
        Proxy = new ProxyProcess(api, lab.NodeA, "node-a", backend, config);
    }

    public TwoNodeLab Lab { get; }
    public FakeApiServer Api { get; }
    public RuleBackend Backend { get; }
    public ProxyProcess Proxy { get; }

    /// <param name="config">The proxy's --config file (default <see cref="Config"/>).</param>
    /// <param name="seed">What the API holds besides the two nodes before the proxy starts.</param>
    public static async Task<ProxyLab> StartAsync(TwoNodeLab lab, RuleBackend backend, string? config = null, Action<FakeApiServer>? seed = null)
    {
        var api = await FakeApiServer.StartAsync();
        api.Upsert(Node("node-a", TwoNodeLab.NodeAIp));
        api.Upsert(Node("node-b", TwoNodeLab.NodeBIp));
        seed?.Invoke(api);
        return new ProxyLab(lab, api, backend, config ?? Config);
    }

    /// <summary>The model service the proxy should derive, for the expected table.</summary>
    public static Service Expected(string name, string clusterIp, ServicePort port, params string[] pods) => new()
    {
        Namespace = Namespace, Name = name, ClusterIP = clusterIp, Ports = [port],
        Type = port.NodePort is null ? ServiceType.ClusterIP : ServiceType.NodePort,
        Endpoints = [.. pods.Select(TwoNodeLab.EndpointOf)],
    };

    public async Task ConvergedAsync(params Service[] expected)
    {
        var applier = new ServiceRulesApplier(Backend, Lab.NodeA);
        var table = new ServiceTable(expected);
        RulePlan? plan = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60)) // a loaded CI machine starts the proxy slowly
        {
            Assert.False(Proxy.Exited, "netlab proxy exited:\n" + Proxy.Log);
            plan = await applier.PlanAsync(table, TwoNodeLab.ContextA);
            if (!plan.HasChanges)
                return;
            await Task.Delay(100);
        }
        Assert.Fail($"the kernel did not converge to the API's state in {clock.Elapsed.TotalSeconds:0} s; still to do:\n{plan!.Describe(30)}\n--- netlab proxy log:\n{Proxy.Log}");
    }

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Api.DisposeAsync();
        _ = await new ServiceRulesApplier(Backend, Lab.NodeA).RemoveAsync(); // the next scenario starts from a clean node
    }
}
