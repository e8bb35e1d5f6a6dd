using System.Diagnostics;
using Provisioner.Proxy.Tests.Fakes;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Policy;
using Provisioner.ServiceRules.Tests.Lab;
using static Provisioner.Proxy.Tests.Fakes.PolicyApi;
using Objects = Provisioner.Proxy.Tests.Fakes.Api;

namespace Provisioner.Proxy.Tests.Lab;

/// <summary>
/// The VM lab's NetworkPolicy path in namespaces: a fake API server holding the two-node lab's pods (with their
/// labels, nodes, addresses and named ports), and one real <c>netlab proxy</c> per lab node programming its node's
/// policy rules. <see cref="ProbeAsync"/> waits (bounded) until a real HTTP probe between two pods answers or is
/// refused, and fails with the last answer and both proxies' logs.
/// </summary>
public sealed class PolicyLab : IAsyncDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private PolicyLab(TwoNodeLab lab, FakeApiServer api, RuleBackend backend)
    {
        Lab = lab;
        Api = api;
        Backend = backend;
        ProxyA = new ProxyProcess(api, lab.NodeA, "node-a", backend, ProxyLab.Config + "podCIDR: 10.244.1.0/24\n");
        ProxyB = new ProxyProcess(api, lab.NodeB, "node-b", backend, ProxyLab.Config + "podCIDR: 10.244.2.0/24\n");
    }

    public TwoNodeLab Lab { get; }
    public FakeApiServer Api { get; }
    public RuleBackend Backend { get; }
    public ProxyProcess ProxyA { get; }
    public ProxyProcess ProxyB { get; }

    private string Logs => $"--- node-a's netlab proxy:\n{ProxyA.Log}\n--- node-b's netlab proxy:\n{ProxyB.Log}";

    /// <summary>The lab's pods as the API holds them: servers a1, a2 (node-a) and b1 (node-b) labelled app=web with
    /// container port "http"; clients ac (node-a) and bc (node-b) labelled role=client.</summary>
    public static async Task<PolicyLab> StartAsync(TwoNodeLab lab, RuleBackend backend)
    {
        var api = await FakeApiServer.StartAsync();
        api.Upsert(Objects.Node("node-a", TwoNodeLab.NodeAIp));
        api.Upsert(Objects.Node("node-b", TwoNodeLab.NodeBIp));
        AddPods(api);
        return new PolicyLab(lab, api, backend);
    }

    /// <summary>The lab's namespace and pods, as <see cref="StartAsync"/> describes them.</summary>
    public static void AddPods(FakeApiServer api)
    {
        api.Upsert(Namespace(Objects.Namespace));
        foreach (var (pod, address, node) in TwoNodeLab.Servers)
            api.Upsert(Pod(pod, node, address, Labels(("app", "web")), ContainerPort("http", TwoNodeLab.ServerPort)));
        api.Upsert(Pod("ac", "node-a", "10.244.1.10", Labels(("role", "client"))));
        api.Upsert(Pod("bc", "node-b", "10.244.2.10", Labels(("role", "client"))));
    }

    /// <summary>Waits until <paramref name="from"/>'s GET to server pod <paramref name="to"/> is answered (or refused).</summary>
    public async Task<HttpAnswer> ProbeAsync(string from, string to, bool answered)
    {
        var address = TwoNodeLab.Servers.Single(s => s.Pod == to).Address;
        var clock = Stopwatch.StartNew();
        HttpAnswer seen;
        do
        {
            Assert.False(ProxyA.Exited || ProxyB.Exited, "a netlab proxy exited:\n" + Logs);
            seen = Lab.Get(Lab.Pod(from), address, TwoNodeLab.ServerPort);
            if ((seen.Pod == to) == answered)
                return seen;
            await Task.Delay(100);
        }
        while (clock.Elapsed < Deadline);
        Assert.Fail($"waited {Deadline.TotalSeconds:0} s for {from} -> {to} to be {(answered ? "answered" : "refused")}; " +
            $"last: {seen.Pod ?? "no answer"} {seen.Error}\n{Logs}");
        return seen;
    }

    /// <summary>The node's policy rules as the kernel holds them: what removing every policy would delete (empty = none).</summary>
    public async Task<RulePlan> LeftoverAsync(string netns) =>
        await new PolicyRulesApplier(Backend, netns).PlanAsync(PolicyTable.Empty, new PolicyNode("n", "10.244.1.0/24", TwoNodeLab.ClusterCidr));

    public async ValueTask DisposeAsync()
    {
        await ProxyA.DisposeAsync();
        await ProxyB.DisposeAsync();
        await Api.DisposeAsync();
        foreach (var netns in new[] { Lab.NodeA, Lab.NodeB })
        {
            _ = await new ServiceRulesApplier(Backend, netns).RemoveAsync(); // the next scenario starts from clean nodes
            _ = await new PolicyRulesApplier(Backend, netns).RemoveAsync(new PolicyNode("n", "10.244.1.0/24", TwoNodeLab.ClusterCidr));
        }
    }
}
