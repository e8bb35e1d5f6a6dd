using System.Diagnostics;
using System.Net;
using Provisioner.Host.Announcing;
using Provisioner.Host.Processes;
using Provisioner.Proxy.LoadBalancing;
using Provisioner.Proxy.Tests.Fakes;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Tests.Lab;
using static Provisioner.Proxy.Tests.Fakes.Api;

namespace Provisioner.Proxy.Tests.Lab;

/// <summary>
/// The VM lab's LoadBalancer path in namespaces: a fake API server, and one real <c>netlab proxy</c> per lab node,
/// node-a's being the allocator (as the control plane's is on VMs). Waits are conditions with generous deadlines,
/// each failing with what it saw and both proxies' logs.
/// </summary>
public sealed class LoadBalancerLab : IAsyncDisposable
{
    public const string Pool = "192.168.77.240/28";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private LoadBalancerLab(TwoNodeLab lab, FakeApiServer api)
    {
        Lab = lab;
        Api = api;
        var config = ProxyLab.Config + $"loadBalancerCIDR: {Pool}\n";
        ProxyA = new ProxyProcess(api, lab.NodeA, "node-a", RuleBackend.Iptables, config + "loadBalancerAllocator: true\n");
        ProxyB = new ProxyProcess(api, lab.NodeB, "node-b", RuleBackend.Iptables, config);
    }

    public TwoNodeLab Lab { get; }
    public FakeApiServer Api { get; }
    public ProxyProcess ProxyA { get; }
    public ProxyProcess ProxyB { get; }

    public static async Task<LoadBalancerLab> StartAsync(TwoNodeLab lab)
    {
        var api = await FakeApiServer.StartAsync();
        api.Upsert(Node("node-a", TwoNodeLab.NodeAIp).Ready("True"));
        api.Upsert(Node("node-b", TwoNodeLab.NodeBIp).Ready("True"));
        return new LoadBalancerLab(lab, api);
    }

    private string Logs => $"--- node-a's netlab proxy:\n{ProxyA.Log}\n--- node-b's netlab proxy:\n{ProxyB.Log}";

    /// <summary>The EXTERNAL-IP the allocator wrote into the service's status, once it is there.</summary>
    public async Task<IPAddress> IngressAsync(string service)
    {
        var ingress = await WaitAsync(() => Api.GetService(Namespace, service)?.Status?.LoadBalancer?.Ingress?.FirstOrDefault()?.Ip,
            ip => ip is not null, $"status.loadBalancer.ingress of {service}");
        return IPAddress.Parse(ingress!);
    }

    /// <summary>The lab nodes holding <paramref name="address"/> now, read from their loopback links.</summary>
    public async Task<IReadOnlyList<string>> HoldersAsync(IPAddress address)
    {
        var holders = new List<string>();
        foreach (var (node, netns) in new[] { ("node-a", Lab.NodeA), ("node-b", Lab.NodeB) })
        {
            if ((await new L2Announcer(ProcessRunner.Default, netns, LoadBalancerController.Label).AnnouncedAsync()).Contains(address))
                holders.Add(node);
        }
        return holders;
    }

    /// <summary>Waits until exactly <paramref name="node"/> announces the address (no other node does).</summary>
    public Task AnnouncedByAsync(IPAddress address, string node) =>
        WaitAsync(() => HoldersAsync(address), h => h.SequenceEqual([node]), $"{address} announced by {node} alone");

    /// <summary>Waits until exactly one node announces the address; returns it.</summary>
    public async Task<string> AnnouncerAsync(IPAddress address) =>
        (await WaitAsync(() => HoldersAsync(address), h => h.Count == 1, $"{address} announced by exactly one node")).Single();

    /// <summary>Waits until the outside client's GET to the address is answered by one of <paramref name="pods"/>.</summary>
    public Task<HttpAnswer> ReachedAsync(IPAddress address, params string[] pods) =>
        WaitAsync(() => Task.FromResult(Lab.Get(Lab.OutsideClient, address.ToString(), 80)), a => a.Pod is not null && pods.Contains(a.Pod),
            $"the outside client answered by one of {string.Join(",", pods)} at http://{address}/");

    private Task<T> WaitAsync<T>(Func<T> probe, Func<T, bool> done, string what) => WaitAsync(() => Task.FromResult(probe()), done, what);

    private async Task<T> WaitAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what)
    {
        var clock = Stopwatch.StartNew();
        T seen;
        do
        {
            Assert.False(ProxyA.Exited || ProxyB.Exited, "a netlab proxy exited:\n" + Logs);
            seen = await probe();
            if (done(seen))
                return seen;
            await Task.Delay(100);
        }
        while (clock.Elapsed < Deadline);
        var shown = seen is System.Collections.IEnumerable list and not string ? string.Join(",", list.Cast<object>()) : seen?.ToString();
        Assert.Fail($"waited {Deadline.TotalSeconds:0} s for {what}; last seen: [{shown}]\n{Logs}");
        return seen;
    }

    public async ValueTask DisposeAsync()
    {
        await ProxyA.DisposeAsync();
        await ProxyB.DisposeAsync();
        await Api.DisposeAsync();
        foreach (var netns in new[] { Lab.NodeA, Lab.NodeB })
        {
            _ = await new ServiceRulesApplier(RuleBackend.Iptables, netns).RemoveAsync(); // the next scenario starts from clean nodes
            await new L2Announcer(ProcessRunner.Default, netns, LoadBalancerController.Label).RemoveAsync();
        }
    }
}
