using Provisioner.Core.Planning;
using Provisioner.Deploy;
using Xunit;

namespace Provisioner.Deploy.Tests;

public sealed class NetnsStepSpecs
{
    private readonly DeploymentPlan _deployment = Labs.Netns(new FixedComponents("bridge netlab0"));

    [Fact]
    public void I_can_apply_and_remove_every_plan_step_with_the_netlab_cli()
    {
        foreach (var planStep in _deployment.Plan.Steps)
        {
            var step = _deployment.Step(planStep.Id);
            Assert.Equal($"out/bin/netlab step apply {planStep.Id} --stack Pulumi.dev.yaml", step.Create);
            Assert.Equal($"out/bin/netlab step remove {planStep.Id} --lab dev", step.Delete); // not from the stack file as it is then
            Assert.Contains(BuildSteps.BinariesId, step.DependsOn);
            Assert.All(planStep.DependsOn, d => Assert.Contains(d, step.DependsOn));
        }
        Assert.Contains(_deployment.Steps, s => s.Id == LabPlan.PodId("web-1"));
        Assert.Null(_deployment.KubeconfigPath);
        Assert.Equal("scripts/build.sh", _deployment.Step(BuildSteps.BinariesId).Create); // this host's build, into out/bin
    }

    [Fact]
    public void I_can_see_the_same_triggers_as_the_plan_plus_the_fabric_lines()
    {
        var fabric = _deployment.Step(LabPlan.FabricId("worker1"));
        var planned = _deployment.Plan.Step(LabPlan.FabricId("worker1"));
        Assert.All(planned.Triggers, t => Assert.Equal(t.Value, fabric.Triggers[t.Key]));
        Assert.Contains(fabric.Triggers, t => t.Key.StartsWith("fabric.", StringComparison.Ordinal) && t.Value == "worker1: bridge netlab0");
        Assert.Equal(ChangeMode.UpdateInPlace, fabric.OnChange);

        var machine = _deployment.Step(LabPlan.MachineId("worker1"));
        Assert.Equal(ChangeMode.Replace, machine.OnChange);
        Assert.False(machine.Triggers.ContainsKey("binaries")); // a new netlab does not recreate the namespaces
        Assert.True(machine.DeleteBeforeReplace);
    }

    [Fact]
    public void I_can_read_the_node_addresses_from_the_plan()
    {
        var node = _deployment.Node("worker1");
        Assert.Null(node.AddressStepId);
        Assert.Equal(_deployment.Plan.Addresses.Node("worker1").UnderlayAddress.ToString(), _deployment.AddressFrom(node, "").Address);
        Assert.Null(_deployment.ControlPlaneEndpoint("192.168.64.11"));
    }
}
