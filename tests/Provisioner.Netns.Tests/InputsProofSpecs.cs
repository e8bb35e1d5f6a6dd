using Provisioner.Core.Config.Cache;
using Provisioner.Core.Planning;
using Provisioner.Host.Processes;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Netns.Tests;

/// <summary>
/// A lab read from a stack file (so it has the stack's key, <see cref="LabIdentity"/>) lets a later <c>up</c>/<c>plan</c>
/// skip building the service table and the DNS records while the recorded inputs, the kernel's generation and the file
/// on disk prove nothing changed; a hand edit of the rules or of dnsmasq.conf, or an edited stack, is still seen and
/// repaired.
/// </summary>
[Collection(PrivilegedCollection.Name)]
public sealed class InputsProofSpecs : IDisposable
{
    private readonly string _stateRoot = Path.Combine(Path.GetTempPath(), TestNames.Unique("nlinputs"));
    private readonly string _name = TestNames.Unique("i");
    private NetnsLab? _lab;

    private static readonly NetnsOptions Options = BuiltPrograms.Options;

    private string StackPath => Path.Combine(_stateRoot, "stack.yaml");

    private string Stack(string rules, int port) => $$"""
        config:
          netlab:name: {{_name}}
          netlab:backend: netns
          netlab:network: { fabric: routed, serviceRules: {{rules}} }
          netlab:nodes:
            - { name: n1, role: control-plane }
          netlab:pods:
            - { name: a, node: n1, labels: { app: a } }
          netlab:services:
            - { name: web, selector: { app: a }, ports: [ { port: {{port}}, targetPort: 8080 } ] }
            - { name: api, selector: { app: a }, ports: [ { port: 81, targetPort: 8080 } ] }
        """;

    /// <summary>A new lab object read from the stack file through a stack cache, as a new <c>netlab</c> process reads it.</summary>
    private NetnsLab Lab(string rules, int port = 80)
    {
        Directory.CreateDirectory(_stateRoot);
        File.WriteAllText(StackPath, Stack(rules, port));
        var config = new StackCache(Path.Combine(_stateRoot, ".stacks")).Load(StackPath);
        Assert.NotNull(LabIdentity.Of(config));
        return _lab = NetnsLabBuilder.Create(LabPlan.For(config), Options with { StateRoot = _stateRoot });
    }

    private string InputsFile => Path.Combine(_lab!.Layout.NodeDirectory("n1"), "service-rules.inputs");

    private static async Task<string[]> Changed(Task<IReadOnlyList<Change>> plan) => [.. (await plan).Select(c => c.Step).Distinct()];

    [PrivilegedTheory]
    [InlineData("iptables")]
    [InlineData("nftables")]
    public async Task A_no_op_proven_by_its_inputs_still_sees_and_repairs_hand_edits_and_stack_edits(string rules)
    {
        await Lab(rules).UpAsync();
        Assert.Empty(await Lab(rules).PlanAsync()); // builds the table once more, and records its inputs
        Assert.True(File.Exists(InputsFile), "no service-rules.inputs after a converged plan");
        Assert.Contains(" lab ", File.ReadAllText(_lab!.Layout.DnsConfigPath + ".rendered"), StringComparison.Ordinal);
        Assert.Empty(await Lab(rules).PlanAsync()); // proven by the inputs

        // The service rules flushed by hand: the generation moved, so the inputs prove nothing; the plan reads and repairs.
        var node = _lab!.Layout.NodeNamespace("n1");
        if (rules == "nftables")
            ProcessRunner.Default.Run("ip", "netns", "exec", node, "nft", "flush", "table", "ip", "netlab");
        else
            ProcessRunner.Default.Run("ip", "netns", "exec", node, "iptables-nft", "-t", "nat", "-F", "NETLAB-SERVICES");
        Assert.Equal(["service-rules-n1"], await Changed(Lab(rules).PlanAsync()));
        await Lab(rules).UpAsync();
        Assert.Empty(await Lab(rules).PlanAsync());
        Assert.Empty(await Lab(rules).PlanAsync());

        // dnsmasq.conf edited by hand: its hash is not the recorded one.
        File.AppendAllText(_lab!.Layout.DnsConfigPath, "address=/evil.example/10.9.9.9\n");
        Assert.Equal([LabPlan.ClusterDnsId], await Changed(Lab(rules).PlanAsync()));
        await Lab(rules).UpAsync();
        Assert.DoesNotContain("evil.example", File.ReadAllText(_lab!.Layout.DnsConfigPath), StringComparison.Ordinal);
        Assert.Empty(await Lab(rules).PlanAsync());

        // A garbled inputs file proves nothing (the table is built and matches).
        File.WriteAllText(InputsFile, "garbage 1 2");
        Assert.Empty(await Lab(rules).PlanAsync());

        // The stack edited: other inputs, so the service is planned and applied.
        Assert.Contains("service-rules-n1", await Changed(Lab(rules, port: 82).PlanAsync()));
        await Lab(rules, port: 82).UpAsync();
        Assert.Empty(await Lab(rules, port: 82).PlanAsync());
        Assert.Empty(await Lab(rules, port: 82).PlanAsync());
    }

    public void Dispose()
    {
        _lab?.DownAsync().GetAwaiter().GetResult();
        if (Directory.Exists(_stateRoot))
            Directory.Delete(_stateRoot, recursive: true);
    }
}
