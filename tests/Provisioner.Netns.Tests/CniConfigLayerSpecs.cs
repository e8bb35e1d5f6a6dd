using Provisioner.Core.Config;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Netns.Layers;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Netns.Tests;

public sealed class CniConfigLayerSpecs : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), TestNames.Unique("nlcni"));

    [Fact]
    public async Task Removing_the_cni_step_removes_its_conflist_and_ipam_state_but_not_the_fabrics_ovs_state()
    {
        var lab = StackFile.Load(RepoPaths.Of("Pulumi.dev.yaml")) with { Backend = Backend.Netns };
        var plan = LabPlan.For(lab);
        var layout = LabLayout.For(lab, _root);
        var layer = new CniConfigLayer(layout, node => $"{{\"subnet\": \"{node.PodSubnet}\"}}", plan);
        var step = plan.Step(LabPlan.CniId("worker1"));
        foreach (var change in await layer.PlanAsync(step, default))
            await change.Apply(default);
        Directory.CreateDirectory(layout.OvsDirectory("worker1"));
        var ovsPid = Path.Combine(layout.OvsDirectory("worker1"), "ovs-vswitchd.pid");
        await File.WriteAllTextAsync(ovsPid, "42");

        Assert.True(File.Exists(layout.ConflistPath("worker1")));
        Assert.Empty(await layer.PlanAsync(step, default));

        await layer.RemoveAsync(step, default);

        Assert.False(Directory.Exists(layout.CniConfigDirectory("worker1")));
        Assert.False(Directory.Exists(layout.IpamDirectory("worker1")));
        Assert.True(File.Exists(ovsPid), "the fabric's OVS pidfile must survive: without it the fabric cannot stop its daemons");
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }
}
