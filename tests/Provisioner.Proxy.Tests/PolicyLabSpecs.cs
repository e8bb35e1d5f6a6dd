using Provisioner.Proxy.Tests.Lab;
using Provisioner.ServiceRules.Applying;
using Provisioner.Testing;
using static Provisioner.Proxy.Tests.Fakes.PolicyApi;

namespace Provisioner.Proxy.Tests;

/// <summary>
/// NetworkPolicy on the VM lab's path: real netlab proxy processes, one per lab node, fed NetworkPolicies, Pods and
/// Namespaces by the fake API server, program their nodes' policy rules, and real HTTP between pod namespaces is
/// refused or answered as the policies in the API say, within a bounded wait after each change.
/// </summary>
[Collection(PrivilegedCollection.Name)]
public sealed class PolicyLabSpecs(LabFixture fixture) : IClassFixture<LabFixture>
{
    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.Nftables)]
    public async Task A_policy_applied_to_the_API_blocks_then_allows_then_frees_real_traffic_between_pods(RuleBackend backend)
    {
        await using var lab = await PolicyLab.StartAsync(fixture.Lab, backend);
        await lab.ProbeAsync("ac", "a1", answered: true); // no policy: open
        await lab.ProbeAsync("bc", "a1", answered: true);

        lab.Api.Upsert(DenyAllIngress());
        var sameNode = await lab.ProbeAsync("ac", "a1", answered: false); // checked on node-a, the source's node
        await lab.ProbeAsync("bc", "a1", answered: false); // checked on node-b, where the source is
        await lab.ProbeAsync("bc", "b1", answered: false);

        lab.Api.Upsert(AllowFrom("web-from-client", ("app", "web"), ("role", "client"), "http"));
        await lab.ProbeAsync("ac", "a1", answered: true);
        await lab.ProbeAsync("bc", "a1", answered: true);
        await lab.ProbeAsync("ac", "b1", answered: true);
        var notClient = await lab.ProbeAsync("a2", "a1", answered: false); // a web pod is no client: still isolated

        lab.Api.Delete(AllowFrom("web-from-client", ("app", "web"), ("role", "client"), "http"));
        lab.Api.Delete(DenyAllIngress());
        await lab.ProbeAsync("a2", "a1", answered: true);
        await lab.ProbeAsync("bc", "b1", answered: true);

        Assert.True(sameNode.Elapsed < TimeSpan.FromSeconds(2.5), $"a refused probe fails at once (REJECT), not by timeout: {sameNode}");
        Assert.Null(notClient.Pod);
        Assert.False((await lab.LeftoverAsync(fixture.Lab.NodeA)).HasChanges, "node-a still holds policy rules with no policy in the API");
        Assert.False((await lab.LeftoverAsync(fixture.Lab.NodeB)).HasChanges, "node-b still holds policy rules with no policy in the API");
        await lab.ProxyA.LineAsync(0, "policy partial sync: 2 NetworkPolicies, 5 pods, 5 isolated");
        Assert.Contains("netlab_proxy_policy_syncs_total{kind=\"partial\"}", await ProxyProcess.GetAsync(lab.ProxyA.MetricsPort, "/metrics"), StringComparison.Ordinal);
    }
}
