using Provisioner.ServiceRules.Policy;
using Provisioner.Testing;

namespace Provisioner.ServiceRules.Tests.Policy;

/// <summary>What the nftables policy compiler writes, loaded by the real nft into a namespace of the test's own.</summary>
[Collection(PrivilegedCollection.Name)]
public sealed class PolicyNftKernelSpecs : IDisposable
{
    private readonly TestNetns _netns = new();
    private readonly string _file = Path.Combine(Path.GetTempPath(), "netlab-policy-" + Guid.NewGuid().ToString("N")[..8] + ".nft");

    [PrivilegedFact]
    public void A_peer_selector_that_matches_no_pod_loads_and_admits_nobody_by_it()
    {
        // "from: app=nothing" resolves to no address; a second allow keeps a real peer set beside it
        var table = new PolicyTable([
            new PodPolicyRules("default/web-1", "10.244.1.2", "w1",
                new DirectionRules(["default/web"], [
                    new PolicyAllow("default/web ingress[0]", [], [new PolicyPortRange("tcp", 80)]),
                    new PolicyAllow("default/web ingress[1]", ["10.244.0.2/32", "10.244.0.3/32"], []),
                ]), null),
        ]);
        var text = PolicyNftCompiler.Compile(table, new PolicyNode("w1", "10.244.1.0/24", "10.244.0.0/16"))!;
        File.WriteAllText(_file, text);
        var netns = _netns.Create("nlpol");

        var loaded = _netns.Exec(netns, "nft", "-f", _file);

        Assert.True(loaded.Succeeded, $"nft refused the policy table: {loaded.StandardError}\n{text}");
        var listed = _netns.Exec(netns, "nft", "list", "table", "ip", "netlab-policy").StandardOutput;
        Assert.DoesNotContain("ingress[0]", listed, StringComparison.Ordinal);
        Assert.Contains("ingress[1]", listed, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _netns.Dispose();
        File.Delete(_file);
    }
}
