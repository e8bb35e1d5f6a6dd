using Provisioner.Core.Config;
using Provisioner.Core.Planning;
using Provisioner.Host.Netlink;
using Provisioner.Host.Processes;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Netns.Tests;

/// <summary>
/// A later <c>netlab up</c>/<c>plan</c> (a new lab object, as a new process) reads no policy rules while the node's
/// nf_tables generation proves they are the ones checked before, also across the service engine's own apply; and any
/// other change (a hand edit, a corrupted proof file, other policies) makes it read, see the drift and repair it.
/// </summary>
[Collection(PrivilegedCollection.Name)]
public sealed class RulesProofSpecs : IDisposable
{
    private readonly string _stateRoot = Path.Combine(Path.GetTempPath(), TestNames.Unique("nlproof"));
    private readonly string _name = TestNames.Unique("q");
    private NetnsLab? _lab;

    private static readonly NetnsOptions Options = BuiltPrograms.Options;

    private string Stack(string rules, int port, string policy) => $$"""
        config:
          netlab:name: {{_name}}
          netlab:backend: netns
          netlab:network: { fabric: routed, serviceRules: {{rules}} }
          netlab:nodes:
            - { name: n1, role: control-plane }
          netlab:pods:
            - { name: a, node: n1, labels: { app: a } }
            - { name: b, node: n1, labels: { app: b } }
          netlab:services:
            - { name: web, selector: { app: a }, ports: [ { port: {{port}}, targetPort: 8080 } ] }
          netlab:networkPolicies:
            - { name: only-b, podSelector: { matchLabels: { app: a } }, ingress: [ { from: [ { podSelector: { matchLabels: { app: {{policy}} } } } ] } ] }
        """;

    /// <summary>A new lab object over the stack, as a new <c>netlab</c> process would make.</summary>
    private NetnsLab Lab(string rules, int port = 80, string policy = "b") =>
        _lab = NetnsLabBuilder.Create(LabPlan.For(StackFile.Parse(Stack(rules, port, policy), "test stack")), Options with { StateRoot = _stateRoot });

    private string ProofFile => Path.Combine(_lab!.Layout.NodeDirectory("n1"), "policy-rules.proof");

    private NfTablesGeneration Generation() => NfTablesGeneration.Read("/run/netns/" + _lab!.Layout.NodeNamespace("n1"));

    private string ProvenAt() => File.ReadAllText(ProofFile).Split(' ')[1];

    [PrivilegedTheory]
    [InlineData("iptables")]
    [InlineData("nftables")]
    public async Task Policy_rules_are_trusted_only_while_the_kernel_proves_them_and_any_other_change_is_read_and_repaired(string rules)
    {
        await Lab(rules).UpAsync();
        Assert.Empty(await Lab(rules).PlanAsync()); // reads once, and records the proof
        Assert.Equal(Generation().Id.ToString(System.Globalization.CultureInfo.InvariantCulture), ProvenAt());

        // One service changed: the service engine's apply moves the generation, and the proof is carried over it.
        var changed = new List<string>();
        await Lab(rules, port: 81).UpAsync((step, changes) => { if (changes.Count > 0) changed.Add(step.Id); });
        Assert.Contains("service-rules-n1", changed);
        Assert.DoesNotContain("network-policy-n1", changed);
        var move = File.ReadAllText(Path.Combine(_lab!.Layout.NodeDirectory("n1"), "service-rules.move")).Split(' ');
        Assert.Equal(Generation().Id.ToString(System.Globalization.CultureInfo.InvariantCulture), move[2]); // proven the engine's own
        Assert.Equal(Generation().Id.ToString(System.Globalization.CultureInfo.InvariantCulture), ProvenAt());
        Assert.Empty(await Lab(rules, port: 81).PlanAsync());

        // A hand edit moves the generation past the proof: the plan reads the kernel and names the drift; up repairs it.
        var node = _lab!.Layout.NodeNamespace("n1");
        if (rules == "nftables")
            ProcessRunner.Default.Run("ip", "netns", "exec", node, "nft", "flush", "table", "ip", "netlab-policy");
        else
            ProcessRunner.Default.Run("ip", "netns", "exec", node, "iptables-nft", "-F", ServiceRules.Policy.PolicyChainNames.Iptables("default/a", ingress: true));
        var drift = await Lab(rules, port: 81).PlanAsync();
        Assert.Equal(["network-policy-n1"], drift.Select(c => c.Step).Distinct());
        await Lab(rules, port: 81).UpAsync();
        Assert.Empty(await Lab(rules, port: 81).PlanAsync());

        // A corrupted proof file is no proof: the kernel is read (and matches).
        File.WriteAllText(ProofFile, "garbage\0 1 2 3");
        Assert.Empty(await Lab(rules, port: 81).PlanAsync());
        Assert.Equal(Generation().Id.ToString(System.Globalization.CultureInfo.InvariantCulture), ProvenAt());

        // A proof of other rules proves nothing about these: another policy is planned and applied.
        Assert.Equal(["network-policy-n1"], (await Lab(rules, port: 81, policy: "a").PlanAsync()).Select(c => c.Step).Distinct());
        await Lab(rules, port: 81, policy: "a").UpAsync();
        Assert.Empty(await Lab(rules, port: 81, policy: "a").PlanAsync());
        var listing = rules == "nftables"
            ? ProcessRunner.Default.Run("ip", "netns", "exec", node, "nft", "list", "table", "ip", "netlab-policy")
            : ProcessRunner.Default.Run("ip", "netns", "exec", node, "iptables-nft-save", "-t", "filter");
        Assert.Contains(rules == "nftables" ? "netlab-policy" : "NETLAB-POL", listing, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _lab?.DownAsync().GetAwaiter().GetResult();
        if (Directory.Exists(_stateRoot))
            Directory.Delete(_stateRoot, recursive: true);
    }
}
