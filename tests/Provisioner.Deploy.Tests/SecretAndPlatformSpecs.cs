using Provisioner.Core.Planning;
using Xunit;

namespace Provisioner.Deploy.Tests;

public sealed class SecretAndPlatformSpecs
{
    [Fact]
    public void No_step_text_trigger_or_file_the_program_writes_holds_a_bootstrap_token()
    {
        foreach (var deployment in new[] { Labs.Multipass(), Labs.Netns() })
        {
            var texts = deployment.Steps.SelectMany(s => new[] { s.Create, s.Update ?? "", s.Delete ?? "" }
                    .Concat(s.Triggers.Select(t => $"{t.Key}={t.Value}")).Concat(s.TriggerVariables.Values))
                .Concat(deployment.LocalFiles.Select(f => f.Content))
                .Concat(Labs.Example.Nodes.SelectMany(n => RenderedNodeFiles.Instance.For(deployment.Plan, n.Name)).Select(f => f.Content))
                .ToList();
            Assert.True(texts.Count > 100, $"only {texts.Count} texts were searched");
            Assert.All(texts, t => Assert.DoesNotMatch(StepListing.BootstrapToken(), t));
        }
        Assert.Matches(StepListing.BootstrapToken(), FakeMultipass.JoinCommand); // the pattern finds a real one
    }

    [Fact]
    public void Replacing_a_worker_runs_a_join_that_mints_its_token_then_and_there()
    {
        var before = Labs.Multipass();
        var bigger = Labs.Example with { Nodes = Labs.Example.Nodes.SetItem(1, Labs.Example.Nodes[1] with { Memory = Core.Model.ByteSize.FromGiB(4) }) };
        var after = Labs.Multipass(lab: bigger);

        var join = after.Step(LabPlan.JoinId("worker1"));
        Assert.NotEqual(before.Step(LabPlan.JoinId("worker1")).Triggers["machine"], join.Triggers["machine"]); // replaced with its VM
        Assert.Equal(ChangeMode.Replace, join.OnChange);
        Assert.Contains("multipass exec dev-cp1 -- sudo /opt/netlab/bin/print-join-command.sh </dev/null | multipass exec dev-worker1 ", join.Create,
            StringComparison.Ordinal);
        Assert.Equal(before.Step(LabPlan.JoinId("worker2")).Triggers, after.Step(LabPlan.JoinId("worker2")).Triggers); // others untouched
    }

    [Fact]
    public void On_windows_it_refuses_before_anything_is_planned_and_says_why()
    {
        var error = Assert.Throws<PlatformNotSupportedException>(() =>
            DeploymentPlanner.For(LabPlan.For(Labs.Example), Labs.Options with { HostIsWindows = true }, RenderedNodeFiles.Instance, NodeComponents.Instance));

        Assert.Contains("POSIX sh", error.Message, StringComparison.Ordinal);
        Assert.Contains("Multipass for Windows does not pass on", error.Message, StringComparison.Ordinal);
        Assert.Contains("Fix: run pulumi on Linux or macOS", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Removing_a_node_changes_no_other_node_s_subnet_or_fabric_lines_but_the_lost_peer()
    {
        var unpinned = Labs.Example with
        {
            Nodes = [.. Labs.Example.Nodes.Select(n => n with { PodCidr = null })], Pods = [.. Labs.Example.Pods.Where(p => p.Node != "worker1")],
        };
        var worker3 = unpinned.Nodes[1] with { Name = "worker3" };
        var before = Labs.Multipass(lab: unpinned with { Nodes = unpinned.Nodes.Add(worker3) });
        var after = Labs.Multipass(lab: unpinned with { Nodes = unpinned.Nodes.RemoveAt(1).Add(worker3) }); // worker1 removed

        var lost = before.Plan.Addresses.Node("worker1").PodSubnet.ToString();
        foreach (var node in new[] { "cp1", "worker2", "worker3" })
        {
            Assert.Equal(before.Plan.Addresses.Node(node).PodSubnet, after.Plan.Addresses.Node(node).PodSubnet);
            var was = before.Step(LabPlan.FabricId(node)).Triggers.Where(t => t.Key.StartsWith("fabric.", StringComparison.Ordinal)).ToDictionary();
            var now = after.Step(LabPlan.FabricId(node)).Triggers.Where(t => t.Key.StartsWith("fabric.", StringComparison.Ordinal)).ToDictionary();
            Assert.All(now, t => Assert.Equal(was[t.Key], t.Value)); // nothing new
            // only the lines of the lost peer went: its tunnel and flows, and the route to its subnet
            Assert.All(was.Where(t => !now.ContainsKey(t.Key)), t => Assert.True(t.Value.Contains("worker1", StringComparison.Ordinal)
                || t.Value.Contains(lost, StringComparison.Ordinal), t.Value));
            Assert.Contains(was.Values, l => l.Contains("worker1", StringComparison.Ordinal));
            Assert.Equal(before.Step(LabPlan.CniId(node)).Triggers, after.Step(LabPlan.CniId(node)).Triggers);
        }
    }
}
