using Provisioner.ServiceRules.Iptables;
using Provisioner.ServiceRules.Model;

namespace Provisioner.ServiceRules.Tests;

public sealed class IptablesCompilerSpecs
{
    private static readonly IptablesRuleset Rules = IptablesCompiler.Compile(Samples.All, Samples.NodeA);

    private static IReadOnlyList<string> Chain(string table, string name) => Rules.Chains.Single(c => c.Table == table && c.Name == name).Rules;

    [Fact]
    public void A_cluster_IP_dispatches_to_its_service_chain_then_picks_an_endpoint_by_the_probability_cascade()
    {
        Assert.Contains("-A NETLAB-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -m comment --comment \"default/web:http cluster IP\" -j NETLAB-SVC-CDGGSHYLG3RE2FKL",
            Chain("nat", "NETLAB-SERVICES"));
        var svc = Chain("nat", "NETLAB-SVC-CDGGSHYLG3RE2FKL");
        Assert.Equal("-A NETLAB-SVC-CDGGSHYLG3RE2FKL ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -m comment --comment \"default/web:http cluster IP\" -j NETLAB-MARK-MASQ", svc[0]);
        Assert.Matches("-m statistic --mode random --probability 0.33333333349 -m comment --comment \"[^\"]+\" -j NETLAB-SEP-", svc[1]);
        Assert.Matches("-m statistic --mode random --probability 0.50000000000 -m comment --comment \"[^\"]+\" -j NETLAB-SEP-", svc[2]);
        Assert.DoesNotContain("statistic", svc[3], StringComparison.Ordinal);
        Assert.Equal(4, svc.Count);
    }

    [Fact]
    public void An_endpoint_chain_masquerades_hairpin_traffic_then_DNATs()
    {
        var sep = Rules.Chains.Single(c => c.Rules.Any(r => r.Contains("default/web:http", StringComparison.Ordinal) && r.EndsWith("--to-destination 10.244.1.2:8080", StringComparison.Ordinal)));

        Assert.Equal(
        [
            $"-A {sep.Name} -s 10.244.1.2/32 -m comment --comment \"default/web:http\" -j NETLAB-MARK-MASQ",
            $"-A {sep.Name} -p tcp -m comment --comment \"default/web:http\" -j DNAT --to-destination 10.244.1.2:8080",
        ], sep.Rules);
    }

    [Fact]
    public void An_endpoint_chain_is_named_by_the_kube_proxy_hash_of_port_protocol_and_endpoint()
    {
        Assert.Equal("NETLAB-SEP-UIQK3OSOSTRHRPBX", Naming.ChainNames.EndpointChain("default/web:http", "tcp", "10.244.1.2:8080"));
        Assert.Equal(
        [
            "-A NETLAB-SEP-UIQK3OSOSTRHRPBX -s 10.244.1.2/32 -m comment --comment \"default/web:http\" -j NETLAB-MARK-MASQ",
            "-A NETLAB-SEP-UIQK3OSOSTRHRPBX -p tcp -m comment --comment \"default/web:http\" -j DNAT --to-destination 10.244.1.2:8080",
        ], Chain("nat", "NETLAB-SEP-UIQK3OSOSTRHRPBX"));
    }

    /// <summary>The whole sample payload byte for byte (every rule kind: affinity, node ports, external and load-balancer
    /// IPs, Local policies, no endpoints): a deliberate change of the output updates this hash.</summary>
    [Fact]
    public void The_sample_payload_is_unchanged_byte_for_byte() =>
        Assert.Equal("332832FBED7EDDF242F5C6297395EE3EF1293FBF37D9E6BB9518AC87A5A7275A", Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Rules.ToRestorePayload()))));

    [Fact]
    public void A_service_without_endpoints_is_rejected_in_the_filter_table_not_black_holed()
    {
        Assert.Equal(["-A NETLAB-SERVICES -d 10.96.0.14/32 -p tcp -m tcp --dport 80 -m comment --comment \"default/empty:http has no endpoints\" -j REJECT --reject-with icmp-port-unreachable"],
            Chain("filter", "NETLAB-SERVICES"));
        Assert.DoesNotContain(Rules.Chains.SelectMany(c => c.Rules), r => r.Contains("default/empty", StringComparison.Ordinal) && r.Contains("DNAT", StringComparison.Ordinal));
    }

    [Fact]
    public void Headless_and_ExternalName_services_get_no_rules()
    {
        var all = Rules.Chains.SelectMany(c => c.Rules).ToList();

        Assert.DoesNotContain(all, r => r.Contains("default/db", StringComparison.Ordinal) || r.Contains("default/ext", StringComparison.Ordinal));
    }

    [Fact]
    public void ClientIP_affinity_checks_and_records_the_client_with_recent()
    {
        var sticky = Rules.Chains.Where(c => c.Rules.Any(r => r.Contains("default/sticky", StringComparison.Ordinal))).SelectMany(c => c.Rules).ToList();

        Assert.Equal(3, sticky.Count(r => r.Contains("-m recent --rcheck --seconds 600 --reap --name NETLAB-SEP-", StringComparison.Ordinal)));
        Assert.Equal(3, sticky.Count(r => r.Contains("-m recent --set --name NETLAB-SEP-", StringComparison.Ordinal)));
    }

    [Fact]
    public void Local_external_policy_sends_outside_traffic_only_to_this_nodes_endpoints()
    {
        var ext = Rules.Chains.Single(c => c.Name.StartsWith("NETLAB-EXT-", StringComparison.Ordinal) && c.Rules.Any(r => r.Contains("default/local-lb", StringComparison.Ordinal)));
        var svl = Chain("nat", ext.Rules[^1].Split(" -j ")[1]);

        Assert.StartsWith("NETLAB-SVL-", ext.Rules[^1].Split(" -j ")[1], StringComparison.Ordinal);
        Assert.DoesNotContain(ext.Rules, r => r.Contains("masquerade traffic", StringComparison.Ordinal));
        Assert.Equal(2, svl.Count); // a1 and a2 on node-a; b1 (node-b) is not a choice
        Assert.Contains(Chain("nat", "NETLAB-SERVICES"), r => r.Contains("-d 203.0.113.10/32", StringComparison.Ordinal) && r.Contains("loadbalancer IP", StringComparison.Ordinal));
        Assert.Contains(Chain("nat", "NETLAB-NODEPORTS"), r => r.Contains("--dport 30081", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_service_rule_is_commented_with_its_service_and_port()
    {
        var perService = Rules.Chains.Where(c => c.Name.Length > "NETLAB-SVC-".Length && c.Name[6..11] is "-SVC-" or "-SVL-" or "-EXT-" or "-SEP-");

        Assert.All(perService.SelectMany(c => c.Rules), r => Assert.Matches("--comment \"[^\"]*(default|kube-system)/[a-z-]+:[a-z-]+", r));
    }

    [Fact]
    public void The_NodePorts_jump_stays_the_last_rule_of_NETLAB_SERVICES() =>
        Assert.EndsWith("-m addrtype --dst-type LOCAL -m comment --comment \"netlab service nodeports; NOTE: this must be the last rule in this chain\" -j NETLAB-NODEPORTS", Chain("nat", "NETLAB-SERVICES")[^1], StringComparison.Ordinal);

    [Fact]
    public void The_compiled_chain_graph_is_sound() => Assert.Empty(ChainGraphValidator.Check(Rules));

    [Fact]
    public void The_chain_graph_check_catches_what_iptables_nft_restore_test_lets_through()
    {
        var broken = Rules with
        {
            Chains = [.. Rules.Chains, new IptablesChain("nat", "NETLAB-SVC-THIS-NAME-IS-FAR-TOO-LONG", ["-A NETLAB-SVC-THIS-NAME-IS-FAR-TOO-LONG -j NETLAB-SEP-MISSING"])],
        };

        var problems = ChainGraphValidator.Check(broken);

        Assert.Contains(problems, p => p.Contains("jumps to nat/NETLAB-SEP-MISSING, which is not declared", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("longer than 28", StringComparison.Ordinal));
    }

    [Fact]
    public void Chains_and_targets_are_read_from_rules_as_the_regular_expressions_of_iptables_save_lines_read_them()
    {
        var chainOf = new System.Text.RegularExpressions.Regex(@"^-[AID] (?<chain>\S+)");
        var targetOf = new System.Text.RegularExpressions.Regex(@" -[jg] (?<target>\S+)");
        string[] edges =
        [
            "-A X -m comment --comment \"a -j b\" -j C", "-A X -g NETLAB-SVC-A", "-I X 1 -j", "-D X -j  Y", "-A  X -j Y",
            "-X NETLAB-SEP-A", "-A", "", "-A X", "-A X -m comment --comment \"-j\" -jY -j Z", "-A X\t-j Y", "-A X -j Y\tZ",
        ];

        foreach (var rule in Rules.Chains.SelectMany(c => c.Rules).Concat(Rules.Jumps.Select(j => j.Rule)).Concat(edges))
        {
            Assert.Equal(chainOf.Match(rule) is { Success: true } c ? c.Groups["chain"].Value : "", ChainGraphValidator.ChainOf(rule));
            Assert.Equal(targetOf.Match(rule) is { Success: true } t ? t.Groups["target"].Value : null, ChainGraphValidator.TargetOf(rule));
        }
    }

    [Theory]
    [InlineData(3, "0.33333333349")]
    [InlineData(2, "0.50000000000")]
    [InlineData(7, "0.14285714272")]
    public void Probabilities_are_written_as_the_kernel_reads_them_back(int remaining, string expected) =>
        Assert.Equal(expected, IptablesRule.KernelProbability(1.0 / remaining));

    [Fact]
    public void The_restore_payload_declares_every_chain_before_any_rule_and_commits_each_table()
    {
        var payload = Rules.ToRestorePayload();

        Assert.StartsWith("*nat\n:NETLAB-SERVICES - [0:0]\n", payload, StringComparison.Ordinal);
        Assert.Equal(2, payload.Split("COMMIT\n").Length - 1);
        Assert.True(payload.IndexOf("-A ", StringComparison.Ordinal) > payload.LastIndexOf("*nat\n:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_table_of_one_service_compiles_to_kube_proxys_shape_and_nothing_else()
    {
        var one = IptablesCompiler.Compile(new ServiceTable([Samples.Web]), Samples.NodeA);

        var kinds = one.Chains.Select(c => $"{c.Table}/{(c.Name.Length == 27 ? c.Name[..11] + "*" : c.Name)}").Order(StringComparer.Ordinal);

        Assert.Equal(
        [
            "filter/NETLAB-EXTERNAL-SERVICES", "filter/NETLAB-SERVICES", "nat/NETLAB-MARK-MASQ", "nat/NETLAB-NODEPORTS",
            "nat/NETLAB-POSTROUTING", "nat/NETLAB-SEP-*", "nat/NETLAB-SEP-*", "nat/NETLAB-SEP-*", "nat/NETLAB-SERVICES", "nat/NETLAB-SVC-*",
        ], kinds);
    }
}
