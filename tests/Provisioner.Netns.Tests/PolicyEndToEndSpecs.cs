using System.Net;
using Provisioner.Core.Config;
using Provisioner.Core.Planning;
using Provisioner.Core.Policy;
using Provisioner.Host.Processes;
using Provisioner.Netns.Verify;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Netns.Tests;

/// <summary>
/// The upstream e2e network policy scenarios (kubernetes test/e2e/network/netpol; facts, not code) on a real lab:
/// for each, the policies are switched with <c>up</c> on one lab per fabric and backend, and the whole reachability
/// matrix (every pod to every pod's port, DNS through its Service, a Service's ClusterIP) is probed and must equal
/// what the policies say; a few cells are also asserted by hand, so a wrong evaluator cannot pass with wrong rules.
/// </summary>
[Collection(PrivilegedCollection.Name)]
public sealed class PolicyEndToEndSpecs : IDisposable
{
    private readonly string _stateRoot = Path.Combine(Path.GetTempPath(), TestNames.Unique("nlpol"));
    private NetnsLab? _lab;

    private static string Stack(string name, string fabric, string rules, string policies) => $$"""
        config:
          netlab:name: {{name}}
          netlab:backend: netns
          netlab:network:
            fabric: {{fabric}}
            serviceRules: {{rules}}
          netlab:nodes:
            - { name: cp1, role: control-plane, podCidr: 10.244.0.0/24 }
            - { name: w1, podCidr: 10.244.1.0/24 }
          netlab:namespaces:
            - { name: x, labels: { ns: x } }
            - { name: y, labels: { ns: y, team: blue } }
          netlab:pods:
            - { name: x-a, namespace: x, node: w1, port: 80, portName: serve-80, labels: { pod: a } }
            - { name: x-b, namespace: x, node: w1, port: 81, portName: serve-81, labels: { pod: b } }
            - { name: x-c, namespace: x, node: cp1, port: 82, labels: { pod: c } }
            - { name: y-a, namespace: y, node: cp1, port: 80, labels: { pod: a } }
            - { name: y-b, namespace: y, node: w1, port: 80, labels: { pod: b } }
          netlab:services:
            - { name: web, namespace: x, selector: { pod: a }, ports: [ { port: 8080, targetPort: 80 } ] }
          netlab:networkPolicies: {{policies}}
        """;

    private static readonly NetnsOptions Options = BuiltPrograms.Options;

    private string _name = "";
    private string _fabric = "";
    private string _rules = "";

    private async Task<NetnsLab> UpAsync(string policies)
    {
        var config = StackFile.Parse(Stack(_name, _fabric, _rules, policies), "test stack");
        _lab = NetnsLabBuilder.Create(LabPlan.For(config), Options with { StateRoot = _stateRoot });
        await _lab.UpAsync();
        return _lab;
    }

    private static async Task<ReachabilityMatrix> MatrixAsync(NetnsLab lab)
    {
        var pods = NetnsLabBuilder.PodReconciler(lab.Plan, Options with { StateRoot = lab.Layout.StateRoot }, ProcessRunner.Default, lab.Layout);
        var verifier = new LabVerifier(lab.Plan, lab.Layout, new Probe(ProcessRunner.Default), p => pods.AddressOf(p) is { } a ? IPAddress.Parse(a) : null);
        return await verifier.ReachabilityAsync();
    }

    private static void AsThePoliciesSay(ReachabilityMatrix matrix, string scenario)
    {
        var wrong = matrix.Mismatches.ToList();
        Assert.True(wrong.Count == 0, $"{scenario}: the kernel disagrees with the policies\n{matrix.Render()}" +
            string.Join("\n", wrong.Select(c => $"{c.From} -> {c.To.Label}: expected {ReachabilityMatrix.Describe(c.Expected!)}, saw {c.Detail}")));
        Assert.DoesNotContain(matrix.Cells, c => c.From != c.To.Label.Split(':')[0] && c.Skipped && !c.To.Label.StartsWith("svc/", StringComparison.Ordinal));
    }

    /// <summary>Cells asserted by hand: "from to observed" with '+' answered, '-' blocked.</summary>
    private static void Cells(ReachabilityMatrix matrix, params string[] facts)
    {
        foreach (var fact in facts)
        {
            var (from, to, open) = (fact.Split(' ')[0], fact.Split(' ')[1], fact.Split(' ')[2] == "+");
            Assert.True(matrix.Cell(from, to).Observed == open, $"{fact}: saw {matrix.Cell(from, to).Detail}\n{matrix.Render()}");
        }
    }

    [PrivilegedTheory]
    [InlineData("linux-vxlan", "iptables")]
    [InlineData("linux-vxlan", "nftables")]
    [InlineData("ovs-vxlan", "iptables")]
    [InlineData("ovs-vxlan", "nftables")]
    [InlineData("routed", "nftables")] // the same Linux-bridge path as linux-vxlan, routed between nodes: one backend is enough
    public async Task The_upstream_scenarios_hold_cell_for_cell_and_hand_made_drift_is_seen_and_repaired(string fabric, string rules)
    {
        (_name, _fabric, _rules) = (TestNames.Unique("p"), fabric, rules);
        var lab = await UpAsync("[]");
        var open = await MatrixAsync(lab);
        AsThePoliciesSay(open, "no policies");
        Cells(open, "y-a x-a:80 +", "x-a x-b:81 +", "x-c svc/web:8080 +", "x-a dns:53/udp +");

        lab = await UpAsync("[{name: deny, namespace: x, podSelector: {}}]");
        var deny = await MatrixAsync(lab);
        AsThePoliciesSay(deny, "default deny ingress");
        Cells(deny, "y-a x-a:80 -", "x-b x-a:80 -", "x-c x-b:81 -", "x-a y-b:80 +", "x-a dns:53/udp +", "y-b svc/web:8080 -");

        lab = await UpAsync("[{name: same-ns, namespace: x, podSelector: {}, ingress: [{from: [{podSelector: {}}]}]}]");
        var same = await MatrixAsync(lab);
        AsThePoliciesSay(same, "allow from the same namespace");
        Cells(same, "x-b x-a:80 +", "x-c x-a:80 +", "y-a x-a:80 -", "y-b x-c:82 -");

        lab = await UpAsync("[{name: from-blue, namespace: x, podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {team: blue}}}]}]}]");
        var byLabel = await MatrixAsync(lab);
        AsThePoliciesSay(byLabel, "namespace by label");
        Cells(byLabel, "y-a x-a:80 +", "y-b x-c:82 +", "x-b x-a:80 -");

        lab = await UpAsync("[{name: both, namespace: x, podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}, podSelector: {matchLabels: {pod: b}}}]}]}]");
        var together = await MatrixAsync(lab);
        AsThePoliciesSay(together, "pod and namespace selector in one peer");
        Cells(together, "y-b x-a:80 +", "y-a x-a:80 -", "x-b x-a:80 -");

        lab = await UpAsync("[{name: either, namespace: x, podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}, {podSelector: {matchLabels: {pod: b}}}]}]}]");
        var twoPeers = await MatrixAsync(lab);
        AsThePoliciesSay(twoPeers, "the same selectors as two peers");
        Cells(twoPeers, "y-b x-a:80 +", "y-a x-a:80 +", "x-b x-a:80 +", "x-c x-a:80 -");

        lab = await UpAsync("[{name: named, namespace: x, podSelector: {}, ingress: [{ports: [{port: serve-80}]}]}]");
        var named = await MatrixAsync(lab);
        AsThePoliciesSay(named, "named port");
        Cells(named, "y-a x-a:80 +", "y-a x-b:81 -", "x-a x-c:82 -");

        lab = await UpAsync("[{name: range, namespace: x, podSelector: {}, ingress: [{ports: [{port: 80, endPort: 81, protocol: TCP}]}]}]");
        var range = await MatrixAsync(lab);
        AsThePoliciesSay(range, "endPort");
        Cells(range, "y-a x-a:80 +", "y-a x-b:81 +", "y-a x-c:82 -");

        lab = await UpAsync("[{name: dns-only, namespace: x, podSelector: {}, policyTypes: [Egress], egress: [{ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]}]}]");
        var dnsOnly = await MatrixAsync(lab);
        AsThePoliciesSay(dnsOnly, "egress deny with DNS allowed");
        Cells(dnsOnly, "x-a dns:53/udp +", "x-a y-b:80 -", "x-c x-a:80 -", "y-a x-a:80 +");

        var yb = NetnsLabBuilder.PodReconciler(lab.Plan, Options with { StateRoot = _stateRoot }, ProcessRunner.Default, lab.Layout).AddressOf("y-b");
        lab = await UpAsync($"[{{name: block, namespace: x, podSelector: {{}}, ingress: [{{from: [{{ipBlock: {{cidr: 10.244.1.0/24, except: [{yb}/32]}}}}]}}]}}]");
        var block = await MatrixAsync(lab);
        AsThePoliciesSay(block, "ipBlock with except");
        Cells(block, "x-b x-a:80 +", "y-b x-a:80 -", "y-a x-a:80 -", "x-a x-c:82 +");

        lab = await UpAsync("[{name: from-b, namespace: x, podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]}, "
            + "{name: from-y, namespace: x, podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}]}]}]");
        var union = await MatrixAsync(lab);
        AsThePoliciesSay(union, "union of two policies");
        Cells(union, "x-b x-a:80 +", "y-a x-a:80 +", "x-c x-a:80 -", "y-a svc/web:8080 +", "x-c svc/web:8080 -");

        // Drift: x-a's ingress chain flushed by hand on cp1 lets x-c (on cp1) in: the matrix, plan and up all see it.
        var node = lab.Layout.NodeNamespace("cp1"); // x-c's node, where its connection to x-a is checked
        if (rules == "nftables")
            ProcessRunner.Default.Run("ip", "netns", "exec", node, "nft", "flush", "chain", "ip", "netlab-policy", "ingress-x-x-a");
        else
            ProcessRunner.Default.Run("ip", "netns", "exec", node, "iptables-nft", "-F", ServiceRules.Policy.PolicyChainNames.Iptables("x/x-a", ingress: true));
        var broken = await MatrixAsync(lab);
        var leak = Assert.Single(broken.Mismatches, c => c.From == "x-c" && c.To.Label == "x-a:80");
        Assert.Equal(["x/from-b", "x/from-y"], leak.Expected!.Ingress.IsolatedBy.ToArray());
        Assert.Contains("isolated for ingress by x/from-b, x/from-y", ReachabilityMatrix.Describe(leak.Expected), StringComparison.Ordinal);
        var drift = await lab.PlanAsync();
        Assert.Contains(drift, c => c.Step == "network-policy-cp1");
        Assert.DoesNotContain(drift, c => c.Step != "network-policy-cp1");
        await lab.UpAsync();
        Assert.Empty(await lab.PlanAsync());
        AsThePoliciesSay(await MatrixAsync(lab), "after the repair");

        // Removing every policy removes every policy rule.
        lab = await UpAsync("[]");
        Assert.Empty(await lab.PlanAsync());
        var save = rules == "nftables"
            ? ProcessRunner.Default.Run("ip", "netns", "exec", node, "nft", "list", "ruleset")
            : ProcessRunner.Default.Run("ip", "netns", "exec", node, "iptables-nft-save", "-t", "filter");
        Assert.DoesNotContain(rules == "nftables" ? "netlab-policy" : "NETLAB-POL", save, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _lab?.DownAsync().GetAwaiter().GetResult();
        if (Directory.Exists(_stateRoot))
            Directory.Delete(_stateRoot, recursive: true);
    }
}
