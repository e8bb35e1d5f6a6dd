using System.Runtime.Versioning;
using Provisioner.Host.Processes;
using Xunit;

namespace Provisioner.Rendering.Tests;

/// <summary>netlab-node.service, the unit that re-applies a node's fabric and Service rules at boot, checked by systemd.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class NodeServiceSpecs
{
    private static string Unit(string goldenCase, string node) => Stacks.Rendered(Stacks.Plan(goldenCase), node, NodeFiles.NodeService).Content;

    private static IReadOnlyList<string> Values(string unit, string key) =>
        [.. unit.Split('\n').Where(l => l.StartsWith(key + "=", StringComparison.Ordinal)).Select(l => l[(key.Length + 1)..])];

    [Theory]
    [MemberData(nameof(Stacks.Nodes), MemberType = typeof(Stacks))]
    public async Task Systemd_accepts_the_unit_of_every_node(string goldenCase, string node)
    {
        // systemd-analyze verify also checks that ExecStart's program exists: the unit with this sandbox's paths.
        using var sandbox = new ScriptSandbox(Stacks.Plan(goldenCase), node);
        sandbox.Write(sandbox.Paths.Netlab, "#!/bin/sh\n", RenderedFile.Executable);

        var result = await ProcessRunner.Default.TryRunAsync("systemd-analyze", ["verify", sandbox.Paths.NodeServiceUnit]);

        Assert.True(result.Succeeded, $"systemd-analyze verify {goldenCase}/{node}: {result.StandardOutput}{result.StandardError}");
        Assert.DoesNotContain("Unknown", result.StandardError);
        Assert.DoesNotContain("ignoring", result.StandardError);
    }

    [Fact]
    public async Task The_check_catches_a_misspelled_key()
    {
        using var sandbox = new ScriptSandbox(Stacks.Dev, "cp1");
        sandbox.Write(sandbox.Paths.Netlab, "#!/bin/sh\n", RenderedFile.Executable);
        var unit = sandbox.Paths.NodeServiceUnit;
        File.WriteAllText(unit, File.ReadAllText(unit).Replace("Before=", "Befor=", StringComparison.Ordinal));

        var result = await ProcessRunner.Default.TryRunAsync("systemd-analyze", ["verify", unit]);

        Assert.Contains("Unknown key 'Befor'", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void It_runs_netlab_node_reapply_on_the_saved_documents_after_open_vswitch_and_before_the_kubelet()
    {
        var unit = Unit("001-dev-ovs-vxlan", "worker1");

        Assert.Equal(["/opt/netlab/bin/netlab node reapply --state-dir /var/lib/netlab/applied"], Values(unit, "ExecStart"));
        Assert.Equal(["oneshot"], Values(unit, "Type"));
        Assert.Contains("openvswitch-switch.service", Values(unit, "After").Single().Split(' '));
        Assert.Contains("network-online.target", Values(unit, "After").Single().Split(' '));
        Assert.Contains("openvswitch-switch.service", Values(unit, "Wants").Single().Split(' '));
        Assert.Equal(["kubelet.service"], Values(unit, "Before"));
        Assert.Equal(["/var/lib/netlab/applied"], Values(unit, "ConditionDirectoryNotEmpty"));
        Assert.Equal(["multi-user.target"], Values(unit, "WantedBy"));
        Assert.DoesNotContain("openvswitch-switch.service", Values(Unit("002-linux-vxlan-kube-proxy", "w1"), "Wants").Single());
    }
}
