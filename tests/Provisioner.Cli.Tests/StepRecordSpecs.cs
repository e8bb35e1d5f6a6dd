using Provisioner.Netns;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Cli.Tests;

/// <summary>
/// <c>netlab step apply|remove</c> as the Pulumi program runs them for a netns stack: a removal undoes the step as its
/// apply recorded it, after the stack file changed. Uses the CNI step (files under /run/netlab/&lt;unique lab&gt;, no
/// namespaces); root, for /run.
/// </summary>
[Collection(PrivilegedCollection.Name)]
public sealed class StepRecordSpecs : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _lab = TestNames.Unique("sr");
    private LabLayout Layout => new(_lab, LabLayout.DefaultStateRoot);

    public void Dispose()
    {
        if (Directory.Exists(Layout.Directory))
            Directory.Delete(Layout.Directory, recursive: true);
        _dir.Dispose();
    }

    private string Stack(bool withWorker1)
    {
        var text = File.ReadAllText(RepoPaths.Of("Pulumi.dev.yaml"))
            .Replace("netlab:name: dev", $"netlab:name: {_lab}", StringComparison.Ordinal)
            .Replace("netlab:backend: multipass", "netlab:backend: netns", StringComparison.Ordinal);
        if (!withWorker1) // worker1 and its pods leave the stack
            text = text.Replace("    - name: worker1\n      role: worker\n      cpus: 2\n      memory: 2G\n      disk: 20G\n      podCidr: 10.244.1.0/24\n", "", StringComparison.Ordinal)
                .Replace("node: worker1", "node: worker2", StringComparison.Ordinal);
        return _dir.File("Pulumi.dev.yaml", text);
    }

    [PrivilegedFact]
    public void I_can_remove_a_step_of_a_node_that_has_left_the_stack_file_as_its_apply_recorded_it()
    {
        var applied = CliRun.Of("step", "apply", "cni-worker1", "--stack", Stack(withWorker1: true));
        Assert.True(applied.ExitCode == 0, applied.ToString());
        Assert.True(File.Exists(Layout.ConflistPath("worker1")));
        Assert.True(File.Exists(AppliedSteps.PathOf(Layout, "cni-worker1")));

        var changed = Stack(withWorker1: false);
        var fromStack = CliRun.Of("step", "remove", "cni-worker1", "--stack", changed);
        Assert.NotEqual(0, fromStack.ExitCode); // what the stack file says now no longer knows the step
        Assert.Contains("cni-worker1", fromStack.Error, StringComparison.Ordinal);

        var removed = CliRun.Of("step", "remove", "cni-worker1", "--lab", _lab);
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.False(Directory.Exists(Layout.CniConfigDirectory("worker1")));
        Assert.False(File.Exists(AppliedSteps.PathOf(Layout, "cni-worker1")));

        var again = CliRun.Of("step", "remove", "cni-worker1", "--lab", _lab); // safe to run twice
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("nothing to remove", again.Output, StringComparison.Ordinal);
    }
}
