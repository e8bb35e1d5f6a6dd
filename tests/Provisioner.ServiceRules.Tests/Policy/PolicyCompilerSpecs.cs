using System.Collections.Immutable;
using System.Net;
using Provisioner.Core.Config;
using Provisioner.Core.Model;
using Provisioner.ServiceRules.Policy;
using Provisioner.StackRules;

namespace Provisioner.ServiceRules.Tests.Policy;

public class PolicyCompilerSpecs
{
    private static readonly PolicyNode W1 = new("w1", "10.244.1.0/24", "10.244.0.0/16");

    /// <summary>web-1 (w1, 10.244.1.2, port 8080 "http"), client (cp1, 10.244.0.2), db (w1, 10.244.1.3, 5432 "pg").</summary>
    private static PolicyTable Table(string policies)
    {
        var (read, problems) = LabConfigReader.Read(key => key == ConfigKeys.NetworkPolicies ? policies : null, "lab");
        Assert.Empty(problems);
        var labels = (string app) => ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("app", app)]);
        var lab = new LabConfig
        {
            Name = "lab",
            Pods =
            [
                new PodSpec { Name = "web-1", Node = "w1", Labels = labels("web"), PortName = "http" },
                new PodSpec { Name = "client", Node = "cp1", Labels = labels("client") },
                new PodSpec { Name = "db", Node = "w1", Labels = labels("db"), Port = 5432, PortName = "pg" },
            ],
            NetworkPolicies = read.NetworkPolicies,
        };
        var addresses = new Dictionary<string, string> { ["web-1"] = "10.244.1.2", ["client"] = "10.244.0.2", ["db"] = "10.244.1.3" };
        return StackPolicyTable.Build(lab, p => IPAddress.Parse(addresses[p]));
    }

    [Fact]
    public void Without_policies_no_rules_are_compiled_in_either_backend()
    {
        Assert.True(PolicyIptablesCompiler.Compile(Table("[]"), W1).IsEmpty);
        Assert.Null(PolicyNftCompiler.Compile(Table("[]"), W1));
    }

    [Fact]
    public void A_selector_becomes_the_selected_pods_addresses_and_a_named_port_the_pods_own_number()
    {
        var table = Table("[{name: web, podSelector: {matchLabels: {app: web}}, ingress: [{from: [{podSelector: {matchLabels: {app: client}}}], ports: [{port: http}]}]}]");
        var web = Assert.Single(table.Pods);
        Assert.Equal("default/web-1", web.Pod);
        Assert.Null(web.Egress);
        var allow = Assert.Single(web.Ingress!.Allows);
        Assert.Equal("default/web ingress[0]", allow.Rule);
        Assert.Equal(["10.244.0.2/32"], allow.Peers!.Value.ToArray());
        Assert.Equal(["tcp/8080"], allow.Ports.Select(p => p.ToString()));
    }

    [Fact]
    public void An_egress_named_port_resolves_on_each_destination_pod()
    {
        var table = Table("[{name: out, podSelector: {matchLabels: {app: client}}, egress: [{ports: [{port: pg}, {port: http}]}]}]");
        var client = Assert.Single(table.Pods);
        Assert.Equal(["10.244.1.2/32 tcp/8080", "10.244.1.3/32 tcp/5432"],
            client.Egress!.Allows.Select(a => $"{a.Peers!.Value.Single()} {a.Ports.Single()}").Order(StringComparer.Ordinal));
        Assert.NotNull(client.Ingress); // policyTypes default to Ingress too: isolated, and no ingress rule
        Assert.Empty(client.Ingress!.Allows);
    }

    [Fact]
    public void An_ip_block_exception_is_cut_out_of_the_range()
    {
        var table = Table("[{name: b, podSelector: {matchLabels: {app: db}}, ingress: [{from: [{ipBlock: {cidr: 10.244.0.0/22, except: [10.244.1.0/24]}}]}]}]");
        Assert.Equal(["10.244.0.0/24", "10.244.2.0/23"], Assert.Single(Assert.Single(table.Pods).Ingress!.Allows).Peers!.Value.ToArray());
    }

    [Fact]
    public void Iptables_checks_egress_only_for_this_nodes_pods_and_ingress_from_this_nodes_pods_or_outside()
    {
        var table = Table("""
            - {name: out, podSelector: {matchLabels: {app: client}}, policyTypes: [Egress], egress: [{to: [{podSelector: {}}], ports: [{port: 8080, endPort: 8090}]}]}
            - {name: in, podSelector: {matchLabels: {app: db}}, ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]}
            """);
        var cp1 = PolicyIptablesCompiler.Compile(table, new PolicyNode("cp1", "10.244.0.0/24", "10.244.0.0/16"));
        var forward = cp1.Chains[PolicyChainNames.Forward];
        Assert.Equal("-A NETLAB-POL-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN", forward[0]);
        Assert.Contains(forward, l => l.StartsWith("-A NETLAB-POL-FORWARD -s 10.244.0.2/32 ", StringComparison.Ordinal) && l.EndsWith(PolicyChainNames.Iptables("default/client", false), StringComparison.Ordinal));
        Assert.Contains(forward, l => l.StartsWith("-A NETLAB-POL-FORWARD -s 10.244.0.0/24 -d 10.244.1.3/32 ", StringComparison.Ordinal));
        Assert.Contains(forward, l => l.StartsWith("-A NETLAB-POL-FORWARD ! -s 10.244.0.0/16 -d 10.244.1.3/32 ", StringComparison.Ordinal));
        var egress = cp1.Chains[PolicyChainNames.Iptables("default/client", false)];
        var shared = egress.Single(l => l.Contains("default/out egress[0]", StringComparison.Ordinal)).Split("-j ")[^1]; // three peers: a shared chain
        Assert.Contains($"-A {shared} -d 10.244.1.2/32 -p tcp -m tcp --dport 8080:8090 -j MARK --set-xmark 0x20000/0x20000", cp1.Chains[shared]);
        Assert.EndsWith(PolicyIptablesCompiler.Reject, egress[^1], StringComparison.Ordinal);
        var w1 = PolicyIptablesCompiler.Compile(table, W1);
        Assert.DoesNotContain(PolicyChainNames.Iptables("default/client", false), w1.Chains.Keys); // client lives on cp1
        Assert.Contains(PolicyChainNames.Iptables("default/db", true), w1.Chains.Keys);
    }

    [Fact]
    public void Nft_dispatches_through_verdict_maps_and_groups_ports_per_protocol()
    {
        var table = Table("[{name: in, podSelector: {matchLabels: {app: db}}, ingress: [{ports: [{port: 5432}, {port: 9000, endPort: 9100}, {protocol: UDP}]}]}]");
        var nft = PolicyNftCompiler.Compile(table, W1)!;
        Assert.Contains("elements = { 10.244.1.3 : jump ingress-default-db }", nft, StringComparison.Ordinal);
        Assert.Contains("ip saddr 10.244.1.0/24 ip daddr vmap @ingress-pods", nft, StringComparison.Ordinal);
        Assert.Matches("meta l4proto tcp th dport @ports-[a-z0-9]{10} return comment \"default/in ingress\\[0\\]\"", nft);
        Assert.Contains("type inet_service\n\t\tflags interval\n\t\tauto-merge\n\t\telements = { 5432, 9000-9100 }", nft, StringComparison.Ordinal);
        Assert.Contains("meta l4proto udp return comment \"default/in ingress[0]\"", nft, StringComparison.Ordinal);
        Assert.Contains("reject with icmp type admin-prohibited comment \"isolated by default/in\"", nft, StringComparison.Ordinal);
        Assert.StartsWith("table ip netlab-policy\ndelete table ip netlab-policy\n", PolicyNftCompiler.ReplaceScript(nft), StringComparison.Ordinal);
    }

    [Fact]
    public void An_allow_of_several_peers_and_ports_is_one_shared_chain_that_marks_and_each_pod_chain_returns_on_the_mark()
    {
        var table = Table("[{name: many, podSelector: {}, ingress: [{from: [{podSelector: {matchLabels: {app: client}}}, {podSelector: {matchLabels: {app: web}}}], ports: [{port: 80}, {port: 443}]}]}]");
        var rules = PolicyIptablesCompiler.Compile(table, W1);
        var shared = Assert.Single(rules.Chains.Keys, c => c.StartsWith(PolicyChainNames.AllowPrefix, StringComparison.Ordinal));
        Assert.Equal(4, rules.Chains[shared].Length); // 2 peers x 2 ports, once for the node however many pods use them
        Assert.All(rules.Chains[shared], l => Assert.EndsWith("-j MARK --set-xmark 0x20000/0x20000", l, StringComparison.Ordinal));
        Assert.Contains($"-A {shared} -s 10.244.0.2/32 -p tcp -m tcp --dport 443 -j MARK --set-xmark 0x20000/0x20000", rules.Chains[shared]);
        foreach (var pod in new[] { "default/web-1", "default/client", "default/db" })
        {
            var chain = PolicyChainNames.Iptables(pod, ingress: true);
            var lines = rules.Chains[chain];
            Assert.Equal($"-A {chain} -j MARK --set-xmark 0x0/0x20000", lines[1]); // a mark from the egress check must not allow ingress
            Assert.Equal($"-A {chain} -m comment --comment \"default/many ingress[0]\" -j {shared}", lines[2]);
            Assert.StartsWith($"-A {chain} -m mark --mark 0x20000/0x20000 ", lines[3], StringComparison.Ordinal);
            Assert.EndsWith(PolicyIptablesCompiler.Reject, lines[4], StringComparison.Ordinal);
        }
        Assert.Equal($"-A {PolicyChainNames.Forward} -j MARK --set-xmark 0x0/0x20000", rules.Chains[PolicyChainNames.Forward][^1]);
    }

    [Fact]
    public void The_restore_payload_removes_stale_chains_and_keeps_exactly_one_jump()
    {
        var rules = PolicyIptablesCompiler.Compile(Table("[{name: in, podSelector: {matchLabels: {app: db}}}]"), W1);
        var payload = PolicyIptablesCompiler.RestorePayload(rules, ["NETLAB-POL-I-OLD"], kernelJumps: 2);
        Assert.Contains(":NETLAB-POL-I-OLD - [0:0]\n", payload, StringComparison.Ordinal);
        Assert.Contains("-X NETLAB-POL-I-OLD\n", payload, StringComparison.Ordinal);
        Assert.Single(payload.Split('\n'), l => l == "-D FORWARD -j NETLAB-POL-FORWARD");
        var none = PolicyIptablesCompiler.RestorePayload(PolicyIptablesCompiler.Compile(PolicyTable.Empty, W1), [PolicyChainNames.Forward], kernelJumps: 1);
        Assert.Equal("*filter\n:NETLAB-POL-FORWARD - [0:0]\n-D FORWARD -j NETLAB-POL-FORWARD\n-X NETLAB-POL-FORWARD\nCOMMIT\n", none);
    }

    [Fact]
    public void The_service_rules_leave_policy_chains_out_of_what_they_read()
    {
        var state = Iptables.IptablesSaveParser.Parse("*filter\n:NETLAB-POL-FORWARD - [0:0]\n:NETLAB-SERVICES - [0:0]\n-A FORWARD -j NETLAB-POL-FORWARD\n-A NETLAB-POL-FORWARD -j RETURN\nCOMMIT\n");
        Assert.Equal(["filter/NETLAB-SERVICES"], state.Chains.Keys);
        Assert.Empty(state.Jumps);
    }
}

public class PolicyCommentSpecs
{
    [Fact]
    public void A_long_list_of_isolating_policies_is_cut_to_what_nft_accepts_and_says_how_many_are_left_out()
    {
        var policies = Enumerable.Range(1, 50).Select(i => $"default/pol-{i}").ToList();
        var comment = PolicyComments.IsolatedBy(policies);
        Assert.True(comment.Length <= 128, comment);
        Assert.StartsWith("isolated by default/pol-1, default/pol-2", comment, StringComparison.Ordinal);
        Assert.Matches(@"and \d+ more$", comment);
        Assert.Equal("isolated by x/a, x/b", PolicyComments.IsolatedBy(["x/a", "x/b"]));
    }
}
