using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Nftables;

namespace Provisioner.ServiceRules.Tests;

public sealed class NftCompilerSpecs
{
    private static readonly NftRuleset Rules = NftCompiler.Compile(Samples.All, Samples.NodeA);

    private static IReadOnlyList<NftElement> Set(NftRuleset rules, string name) => rules.Sets.Single(s => s.Name == name).Elements;

    [Fact]
    public void A_cluster_IP_is_one_map_element_pointing_at_the_pick_chain_for_its_endpoint_count()
    {
        Assert.Contains(new NftElement("10.96.0.10 . tcp . 80", "goto pick-3", "default/web:http cluster IP"), Set(Rules, "service-ips"));
        Assert.Equal(
            ["10.96.0.10 . tcp . 80 . 0 : 10.244.1.2 . 8080", "10.96.0.10 . tcp . 80 . 1 : 10.244.1.3 . 8080", "10.96.0.10 . tcp . 80 . 2 : 10.244.2.2 . 8080"],
            Set(Rules, "service-endpoints").Where(e => e.Key.StartsWith("10.96.0.10 ", StringComparison.Ordinal)).Select(e => e.Identity));
        Assert.Contains(Rules.Chains, c => c.Contains("dnat ip to ip daddr . meta l4proto . th dport . numgen random mod 3 map @service-endpoints", StringComparison.Ordinal));
    }

    [Fact]
    public void Services_add_elements_not_chains()
    {
        var small = NftCompiler.Compile(Samples.Many(10), Samples.NodeA);
        var large = NftCompiler.Compile(Samples.Many(1000), Samples.NodeA);

        Assert.Equal(small.Chains.Count, large.Chains.Count);
        Assert.Equal(small.SkeletonHash, large.SkeletonHash);
        Assert.Equal(3000, Set(large, "service-endpoints").Count);
    }

    [Fact]
    public void Changing_one_services_endpoints_keeps_the_skeleton_so_only_elements_change()
    {
        var changed = Samples.All.WithService(Samples.Web with { Endpoints = [new("10.244.1.2", "node-a")] });

        Assert.Equal(Rules.SkeletonHash, NftCompiler.Compile(changed, Samples.NodeA).SkeletonHash);
    }

    [Fact]
    public void No_endpoints_means_reject_and_no_local_endpoint_means_drop()
    {
        Assert.Contains(Set(Rules, "no-endpoints"), e => e.Key == "10.96.0.14 . tcp . 80");
        var onlyRemote = new ServiceTable([Samples.LocalLb with { Endpoints = [new("10.244.2.2", "node-b")] }]);
        var rules = NftCompiler.Compile(onlyRemote, Samples.NodeA);

        Assert.Contains(Set(rules, "no-local-endpoint-nodeports"), e => e.Key == "tcp . 30081");
        Assert.Contains(Set(rules, "no-local-endpoints"), e => e.Key == "203.0.113.10 . tcp . 80");
        Assert.Contains(Set(rules, "service-ips"), e => e.Key == "10.96.0.13 . tcp . 80"); // the cluster IP still reaches node-b
    }

    [Fact]
    public void Local_policy_node_ports_pick_among_local_endpoints_and_are_not_masqueraded()
    {
        Assert.Contains(new NftElement("tcp . 30081", "goto nodeport-pick-2", "default/local-lb:http node port"), Set(Rules, "service-nodeports"));
        Assert.DoesNotContain(Set(Rules, "nodeport-masq"), e => e.Key == "tcp . 30081");
        Assert.Contains(Set(Rules, "nodeport-masq"), e => e.Key == "tcp . 30080");
    }

    [Fact]
    public void ClientIP_affinity_services_are_listed_with_their_timeout()
    {
        Assert.Equal(["10.96.0.12 . 80"], Set(Rules, "affinity-services-600").Select(e => e.Key));
        Assert.Contains(Rules.Chains, c => c.Contains("update @affinity { ip saddr . ct original ip daddr . ct original proto-dst timeout 600s : ip daddr . th dport }", StringComparison.Ordinal));
    }

    [Fact]
    public void The_script_replaces_the_whole_table_in_one_transaction()
    {
        var script = Rules.ToScript();

        Assert.StartsWith("table ip netlab\ndelete table ip netlab\ntable ip netlab {\n\tcomment \"netlab service rules, skeleton ", script, StringComparison.Ordinal);
        Assert.DoesNotContain("default/db", script, StringComparison.Ordinal);
    }
}
