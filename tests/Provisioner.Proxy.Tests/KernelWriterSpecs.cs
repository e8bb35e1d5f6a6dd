using Provisioner.Host.Processes;
using Provisioner.Proxy.Tests.Lab;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Policy;
using Provisioner.Testing;
using static Provisioner.Proxy.Tests.Fakes.Api;
using static Provisioner.Proxy.Tests.Fakes.PolicyApi;
using static Provisioner.ServiceRules.Tests.Lab.TwoNodeLab;
using ServicePort = Provisioner.ServiceRules.Model.ServicePort;

namespace Provisioner.Proxy.Tests;

/// <summary>
/// netlab-proxy's two controllers write one kernel: a NetworkPolicy write moves the nf_tables generation the service
/// engine proves its last-applied state by. The process's own writes are recorded, so the service sync after a policy
/// change stays partial (no kernel read); a hand edit is no write of the process, so the sync after it reads the kernel
/// and repairs it, whether the hand edit came after or before the policy write.
/// </summary>
[Collection(PrivilegedCollection.Name)]
public sealed class KernelWriterSpecs(LabFixture fixture) : IClassFixture<LabFixture>
{
    private static readonly (string, int, string)[] Http = [("http", ServerPort, "TCP")];
    private static readonly ServicePort WebPort = new("http", 80, ServerPort);

    // no periodic full sync within the spec: every full one is the proof's doing
    private const string Config = "clusterCIDR: 10.244.0.0/16\nserviceCIDR: 10.96.0.0/16\nminSyncPeriod: 200ms\nsyncPeriod: 10m\npodCIDR: 10.244.1.0/24\n";

    private static k8s.Models.V1EndpointSlice Web(params string[] pods) =>
        Slice("web-1", "web", Http, [.. pods.Select(p => Servers.Single(s => s.Pod == p)).Select(s => Endpoint(s.Address, s.Node))]);

    [PrivilegedTheory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.Nftables)]
    public async Task A_policy_write_leaves_the_next_service_sync_partial_and_a_hand_edit_makes_it_read_the_kernel(RuleBackend backend)
    {
        var lab = fixture.Lab;
        var proxy = await ProxyLab.StartAsync(lab, backend, Config, api =>
        {
            PolicyLab.AddPods(api);
            api.Upsert(Service("web", "10.96.0.10", Port("http", 80, ServerPort)));
            api.Upsert(Web("a1", "a2"));
        });
        try
        {
            var process = proxy.Proxy;
            await proxy.ConvergedAsync(ProxyLab.Expected("web", "10.96.0.10", WebPort, "a1", "a2"));
            await process.LineAsync(0, "policy full sync: 0 NetworkPolicies");

            // a policy write, then a service change: the service engine trusts its state over the policy's move
            var mark = process.LineCount;
            proxy.Api.Upsert(DenyAllIngress());
            await process.LineAsync(mark, "policy partial sync: 1 NetworkPolicies");
            mark = process.LineCount;
            proxy.Api.Upsert(Web("a1", "a2", "b1"));
            await proxy.ConvergedAsync(ProxyLab.Expected("web", "10.96.0.10", WebPort, "a1", "a2", "b1"));
            var partial = await process.LineAsync(mark, "service(s) changed");
            Assert.Contains("[partial sync: last-applied state, nf_tables generation moved from", partial, StringComparison.Ordinal);
            Assert.Contains("by this process's own NetworkPolicy rules writes only]", partial, StringComparison.Ordinal);

            // a policy write, then a hand edit of the service rules: the next service sync reads and repairs
            mark = process.LineCount;
            proxy.Api.Delete(DenyAllIngress());
            await process.LineAsync(mark, "policy partial sync: 0 NetworkPolicies");
            await HandEditAsync(lab.NodeA, backend);
            mark = process.LineCount;
            proxy.Api.Upsert(Web("a1"));
            await proxy.ConvergedAsync(ProxyLab.Expected("web", "10.96.0.10", WebPort, "a1"));
            var afterEdit = await process.LineAsync(mark, "service(s) changed");
            Assert.Contains("[full sync: read the kernel: nf_tables generation moved from", afterEdit, StringComparison.Ordinal);

            // a hand edit, then a policy write (recorded, but from a generation the process did not make): still a read
            await HandEditAsync(lab.NodeA, backend);
            mark = process.LineCount;
            proxy.Api.Upsert(DenyAllIngress());
            await process.LineAsync(mark, "policy partial sync: 1 NetworkPolicies");
            mark = process.LineCount;
            proxy.Api.Upsert(Web("a2"));
            await proxy.ConvergedAsync(ProxyLab.Expected("web", "10.96.0.10", WebPort, "a2"));
            var editFirst = await process.LineAsync(mark, "service(s) changed");
            Assert.Contains("[full sync: read the kernel: nf_tables generation moved from", editFirst, StringComparison.Ordinal);
        }
        finally
        {
            await proxy.DisposeAsync();
            _ = await new PolicyRulesApplier(backend, lab.NodeA).RemoveAsync(new PolicyNode("n", "10.244.1.0/24", ClusterCidr));
        }
    }

    /// <summary>What a learner might do by hand: flush the chain that dispatches to the services.</summary>
    private static Task<CommandResult> HandEditAsync(string netns, RuleBackend backend) =>
        ProcessRunner.Default.RunAsync("ip", backend == RuleBackend.Nftables
            ? ["netns", "exec", netns, "nft", "flush chain ip netlab prerouting"]
            : ["netns", "exec", netns, "iptables-nft", "-t", "nat", "-F", "NETLAB-SERVICES"]);
}
