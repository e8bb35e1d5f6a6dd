using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Iptables;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Nftables;

namespace Provisioner.ServiceRules.Tests;

/// <summary>Diffs against a kernel state, without a kernel: what a second run, a change and a removal write.</summary>
public sealed class PlannerSpecs
{
    private static IptablesKernelState KernelHolding(IptablesRuleset rules) => IptablesSaveParser.Parse(
        string.Concat(IptablesRuleset.Tables.Select(t =>
            $"*{t}\n" + string.Concat(rules.Chains.Where(c => c.Table == t).Select(c => $":{c.Name} - [0:0]\n")) +
            string.Concat(rules.Jumps.Where(j => j.Table == t).Select(j => j.Rule + "\n")) +
            string.Concat(rules.Chains.Where(c => c.Table == t).SelectMany(c => c.Rules).Select(r => r + "\n")) + "COMMIT\n")));

    private static readonly IptablesRuleset Current = IptablesCompiler.Compile(Samples.All, Samples.NodeA);

    [Fact]
    public void An_unchanged_iptables_table_plans_nothing()
    {
        var (changes, payload) = IptablesPlanner.Plan(Current, KernelHolding(Current));

        Assert.Empty(changes);
        Assert.Equal("", payload);
    }

    [Fact]
    public void Removing_an_endpoint_rewrites_only_that_services_chains()
    {
        var changed = IptablesCompiler.Compile(Samples.All.WithService(Samples.Web with { Endpoints = [new("10.244.1.2", "node-a"), new("10.244.2.2", "node-b")] }), Samples.NodeA);

        var (changes, payload) = IptablesPlanner.Plan(changed, KernelHolding(Current));

        var webChains = Current.Chains.Where(c => c.Rules.Any(r => r.Contains("default/web:http", StringComparison.Ordinal))).Select(c => c.Name).ToList();
        Assert.All(changes, c => Assert.True(c.Text.Contains("default/web:http", StringComparison.Ordinal) || webChains.Any(c.Text.Contains), c.Text));
        Assert.Contains(":NETLAB-SVC-CDGGSHYLG3RE2FKL - [0:0]", payload, StringComparison.Ordinal);
        Assert.Contains("-X NETLAB-SEP-", payload, StringComparison.Ordinal); // 10.244.1.3's chain is deleted
        Assert.DoesNotContain("sticky", payload, StringComparison.Ordinal);
        Assert.DoesNotContain(":NETLAB-SERVICES", payload, StringComparison.Ordinal);
    }

    [Fact]
    public void A_new_service_is_inserted_into_the_dispatch_chain_without_rewriting_it()
    {
        var added = IptablesCompiler.Compile(Samples.All.WithService(Samples.Web with { Name = "web2", ClusterIP = "10.96.0.99" }), Samples.NodeA);

        var (_, payload) = IptablesPlanner.Plan(added, KernelHolding(Current));

        Assert.Contains("-I NETLAB-SERVICES 1 -d 10.96.0.99/32", payload, StringComparison.Ordinal);
        Assert.DoesNotContain(":NETLAB-SERVICES", payload, StringComparison.Ordinal);
    }

    [Fact]
    public void Removal_deletes_every_chain_and_hook_jump_and_nothing_else()
    {
        var (changes, payload) = IptablesPlanner.Plan(IptablesRuleset.Empty, KernelHolding(Current));

        Assert.Equal(Current.Chains.Count, payload.Split('\n').Count(l => l.StartsWith("-X NETLAB-", StringComparison.Ordinal)));
        Assert.Equal(Current.Jumps.Count, payload.Split('\n').Count(l => l.StartsWith("-D ", StringComparison.Ordinal)));
        Assert.All(changes, c => Assert.Equal(RuleChangeKind.Remove, c.Kind));
    }

    [Fact]
    public void An_nftables_element_change_touches_only_those_elements()
    {
        var desired = NftCompiler.Compile(Samples.All, Samples.NodeA);
        var kernel = new NftKernelState(true, desired.SkeletonHash, desired.Sets.ToDictionary(s => s.Name, s => s.Elements));
        var changed = NftCompiler.Compile(Samples.All.WithoutService("default", "web"), Samples.NodeA);

        var (none, _, _) = NftPlanner.Plan(desired, kernel);
        var (changes, script, full) = NftPlanner.Plan(changed, kernel);

        Assert.Empty(none);
        Assert.False(full);
        Assert.DoesNotContain("delete table", script, StringComparison.Ordinal);
        Assert.Contains("delete element ip netlab service-ips { 10.96.0.10 . tcp . 80 }", script, StringComparison.Ordinal);
        Assert.All(changes, c => Assert.Equal(RuleChangeKind.Remove, c.Kind));
    }

    [Fact]
    public void A_different_nftables_skeleton_is_replaced_whole()
    {
        var desired = NftCompiler.Compile(Samples.All, Samples.NodeA);

        var (_, script, full) = NftPlanner.Plan(desired, new NftKernelState(true, "0000", new Dictionary<string, IReadOnlyList<NftElement>>()));

        Assert.True(full);
        Assert.StartsWith("table ip netlab\ndelete table ip netlab\n", script, StringComparison.Ordinal);
    }

    [Fact]
    public void It_reads_back_elements_and_the_skeleton_hash_from_an_nft_listing()
    {
        const string listing = """
            table ip netlab {
            	comment "netlab service rules, skeleton 0123abcd"
            	map service-ips {
            		type ipv4_addr . inet_proto . inet_service : verdict
            		elements = { 10.96.0.11 . udp . 53 comment "kube-system/dns" : goto pick-3,
            			     10.96.0.10 . tcp . 80 comment "default/web:http cluster IP" : goto pick-3 }
            	}

            	set hairpin {
            		typeof ip saddr . ip daddr
            		elements = { 10.244.1.2 . 10.244.1.2 }
            	}

            	set no-endpoints {
            		type ipv4_addr . inet_proto . inet_service
            	}
            }

            """;

        var state = NftListingParser.Parse(listing.Replace("\r", "", StringComparison.Ordinal));

        Assert.Equal("0123abcd", state.SkeletonHash);
        Assert.Equal(["10.96.0.11 . udp . 53 : goto pick-3", "10.96.0.10 . tcp . 80 : goto pick-3"], state.Elements["service-ips"].Select(e => e.Identity));
        Assert.Equal("default/web:http cluster IP", state.Elements["service-ips"][1].Comment);
        Assert.Equal(["10.244.1.2 . 10.244.1.2"], state.Elements["hairpin"].Select(e => e.Key));
        Assert.Empty(state.Elements["no-endpoints"]);
    }
}
