using Provisioner.Core.Planning;
using Provisioner.Deploy;
using Provisioner.Deploy.Multipass;
using Xunit;

namespace Provisioner.Deploy.Tests;

public sealed class MultipassStepSpecs
{
    private readonly DeploymentPlan _deployment = Labs.Multipass();

    [Fact]
    public void I_can_launch_each_node_as_its_own_vm_with_its_size_image_and_cloud_init()
    {
        var machines = _deployment.Steps.Where(s => s.Id.StartsWith("machine-", StringComparison.Ordinal)).ToList();

        Assert.Equal(["machine-cp1", "machine-worker1", "machine-worker2"], machines.Select(m => m.Id));
        Assert.Contains("multipass launch 24.04 --name dev-cp1 --cpus 2 --memory 4G --disk 20G " +
            "--cloud-init .netlab/dev/cp1/user-data --timeout 900 </dev/null", machines[0].Create, StringComparison.Ordinal);
        var userData = Assert.Single(machines[0].LocalFiles);
        Assert.Equal(".netlab/dev/cp1/user-data", userData.Path);
        Assert.StartsWith("#cloud-config", userData.Content, StringComparison.Ordinal);
        Assert.Equal(userData.Sha256[..12], machines[0].Triggers["file.user-data"]);
    }

    [Fact]
    public void It_deletes_only_the_vm_it_launched_and_never_all_vms()
    {
        Assert.Equal("if multipass info dev-worker1 --format json </dev/null >/dev/null 2>&1; then multipass delete --purge dev-worker1 </dev/null; fi",
            _deployment.Step("machine-worker1").Delete);
        Assert.All(_deployment.Steps, s => Assert.DoesNotContain("--all", (s.Create + s.Update + s.Delete).Split(' ')));
        Assert.True(_deployment.Step("machine-worker1").DeleteBeforeReplace); // its replacement has the same name
        Assert.StartsWith("if multipass info dev-worker1 --format json </dev/null >/dev/null 2>&1; then multipass start dev-worker1 </dev/null; else ",
            _deployment.Step("machine-worker1").Update, StringComparison.Ordinal); // info || launch: never a second launch
    }

    [Fact]
    public void I_can_rely_on_the_join_waiting_for_init_and_every_step_after_its_dependencies()
    {
        var seen = new HashSet<string>();
        foreach (var step in _deployment.Steps)
        {
            Assert.All(step.DependsOn, d => Assert.Contains(d, seen));
            seen.Add(step.Id);
        }
        foreach (var worker in new[] { "worker1", "worker2" })
        {
            var join = _deployment.Step(LabPlan.JoinId(worker));
            Assert.Contains(LabPlan.ControlPlaneId, join.DependsOn);
            Assert.Contains(LabPlan.CniId(worker), join.DependsOn);
            Assert.Contains(MultipassStepMapper.ReadyId(worker), join.DependsOn);
        }
        Assert.Contains(MultipassStepMapper.ReadyId("cp1"), _deployment.Step(LabPlan.ControlPlaneId).DependsOn);
        Assert.Contains(BuildSteps.BinariesId, _deployment.Step(LabPlan.CniId("cp1")).DependsOn);
    }

    [Fact]
    public void Each_join_mints_its_own_token_on_the_control_plane_and_pipes_it_into_the_worker()
    {
        Assert.DoesNotContain(_deployment.Steps, s => s.Id == "join-command"); // no token ever waits in the state
        var join = _deployment.Step(LabPlan.JoinId("worker1"));
        Assert.NotEqual(StepLogging.StdoutAndStderr, join.Logging);
        // Only the worker's join reads the pipe: no transfer or other exec can swallow the secret.
        var commands = join.Create.Split(" && ");
        Assert.All(commands[..^1], c => Assert.EndsWith("</dev/null", c, StringComparison.Ordinal));
        Assert.Equal("multipass exec dev-cp1 -- sudo /opt/netlab/bin/print-join-command.sh </dev/null | " +
            "multipass exec dev-worker1 -- sudo /opt/netlab/bin/kubeadm-join.sh \"${NETLAB_ADDRESS_WORKER1}\"", commands[^1]);
        Assert.Equal("worker1", join.AddressVariables["NETLAB_ADDRESS_WORKER1"]);
        Assert.All(_deployment.Steps, s => Assert.DoesNotContain("--token", s.Create + s.Update + s.Delete, StringComparison.Ordinal));
    }

    [Fact]
    public void Removing_a_worker_drains_and_deletes_its_node_on_the_control_plane_then_resets_it()
    {
        var delete = _deployment.Step(LabPlan.JoinId("worker1")).Delete!;

        Assert.StartsWith("if multipass info dev-cp1 --format json </dev/null >/dev/null 2>&1; then " +
            "{ multipass exec dev-cp1 -- sudo kubectl --kubeconfig /etc/kubernetes/admin.conf drain dev-worker1 --ignore-daemonsets " +
            "--delete-emptydir-data --force --timeout=120s </dev/null || echo", delete, StringComparison.Ordinal);
        Assert.Contains("multipass exec dev-cp1 -- sudo kubectl --kubeconfig /etc/kubernetes/admin.conf delete node dev-worker1 --ignore-not-found </dev/null",
            delete, StringComparison.Ordinal);
        Assert.EndsWith("; if multipass info dev-worker1 --format json </dev/null >/dev/null 2>&1; then " +
            "multipass exec dev-worker1 -- sudo kubeadm reset --force </dev/null; fi", delete, StringComparison.Ordinal);
    }

    [Fact]
    public void I_can_copy_the_kubeconfig_to_a_private_file_without_logging_it()
    {
        var kubeconfig = _deployment.Step(LabPlan.KubeconfigId);
        Assert.Equal("umask 077 && multipass exec dev-cp1 -- sudo cat /etc/kubernetes/admin.conf </dev/null > .netlab/dev/kubeconfig.tmp " +
            "&& mv -f .netlab/dev/kubeconfig.tmp .netlab/dev/kubeconfig", kubeconfig.Create);
        Assert.Equal("rm -f .netlab/dev/kubeconfig", kubeconfig.Delete);
        Assert.True(kubeconfig.SecretStdout);
        Assert.Equal(StepLogging.Stderr, kubeconfig.Logging);
        Assert.Equal(".netlab/dev/kubeconfig", _deployment.KubeconfigPath);
    }

    [Fact]
    public void I_can_update_cni_fabric_and_rules_in_place_without_replacing_anything()
    {
        foreach (var id in new[] { LabPlan.CniId("worker1"), LabPlan.FabricId("worker1"), LabPlan.ServiceRulesId("worker1") })
        {
            var step = _deployment.Step(id);
            Assert.Equal(ChangeMode.UpdateInPlace, step.OnChange);
            Assert.Equal(step.Create, step.Update);
            Assert.Empty(step.ReplaceTriggers); // Pulumi.Command replaces on any change of 'triggers'
            Assert.Equal(step.Triggers.Count, step.TriggerVariables.Count);
            Assert.Equal(step.Triggers["machine"], step.TriggerVariables["NETLAB_TRIGGER_MACHINE"]);
        }
        var machine = _deployment.Step(LabPlan.MachineId("worker1"));
        Assert.Equal(ChangeMode.Replace, machine.OnChange);
        Assert.Contains("cpus=2", machine.ReplaceTriggers);
    }

    [Fact]
    public void I_can_see_the_fabric_lines_as_triggers_and_apply_them_with_every_node_address()
    {
        var deployment = Labs.Multipass(components: new FixedComponents("vxlan to worker2", "route 10.244.2.0/24"));
        var fabric = deployment.Step(LabPlan.FabricId("worker1"));

        Assert.Contains(fabric.Triggers, t => t.Key.StartsWith("fabric.worker1:.", StringComparison.Ordinal) && t.Value == "worker1: vxlan to worker2");
        Assert.Contains(fabric.TriggerVariables, t => t.Key.StartsWith("NETLAB_TRIGGER_FABRIC_WORKER1__", StringComparison.Ordinal) && t.Value == "worker1: route 10.244.2.0/24");
        Assert.EndsWith("multipass exec dev-worker1 -- sudo /opt/netlab/bin/netlab node fabric apply /etc/netlab/fabric.json " +
            "--node-address cp1=\"${NETLAB_ADDRESS_CP1}\" --node-address worker1=\"${NETLAB_ADDRESS_WORKER1}\" " +
            "--node-address worker2=\"${NETLAB_ADDRESS_WORKER2}\" </dev/null", fabric.Create, StringComparison.Ordinal);
        Assert.Contains($"multipass transfer out/linux-x64/netlab dev-worker1:{Provisioner.Multipass.MultipassDriver.StagingPath("/opt/netlab/bin/netlab")} </dev/null",
            fabric.Create, StringComparison.Ordinal);
        Assert.Equal(["cp1", "worker1", "worker2"], fabric.AddressVariables.Values);
        Assert.Contains(MultipassStepMapper.AddressId("worker2"), fabric.DependsOn);
    }

    [Fact]
    public void It_changes_the_triggers_of_the_one_node_whose_rendered_file_changed()
    {
        var changed = Labs.Multipass(new ChangedFile("worker1", "scripts/kubeadm-join.sh"));
        var differing = Differing(_deployment, changed);
        Assert.Equal([LabPlan.JoinId("worker1")], differing);

        var relaunched = Labs.Multipass(new ChangedFile("worker2", "user-data"));
        differing = Differing(_deployment, relaunched);
        Assert.Contains(LabPlan.MachineId("worker2"), differing);
        Assert.Contains(LabPlan.JoinId("worker2"), differing); // everything on the VM follows it
        Assert.All(differing, id => Assert.Equal("worker2", relaunched.Step(id).Node));
    }

    [Fact]
    public void I_can_add_a_worker_and_see_only_its_steps()
    {
        var lab = Labs.Example with { Nodes = Labs.Example.Nodes.Add(Labs.Example.Nodes[1] with { Name = "worker3", PodCidr = null }) };
        var grown = Labs.Multipass(lab: lab);

        var added = grown.Steps.Select(s => s.Id).Except(_deployment.Steps.Select(s => s.Id)).Order().ToList();
        Assert.Equal(["address-worker3", "cni-worker3", "fabric-worker3", "join-worker3", "machine-worker3", "metrics-worker3", "ready-worker3", "service-rules-worker3"], added);
        var differing = Differing(_deployment, grown);
        Assert.DoesNotContain(LabPlan.JoinId("worker1"), differing);     // the new worker mints its own token
        Assert.Contains(LabPlan.FabricId("worker1"), differing);        // a new peer: updated in place
        Assert.DoesNotContain(LabPlan.MachineId("worker1"), differing);
        Assert.DoesNotContain(LabPlan.ControlPlaneId, differing);
    }

    [Fact]
    public void I_can_build_the_binaries_for_the_vms_architecture_when_the_sources_change()
    {
        var arm = DeploymentPlanner.For(LabPlan.For(Labs.Example), Labs.Options with { Architecture = DeployOptions.LinuxArm64 },
            RenderedNodeFiles.Instance, NodeComponents.Instance);
        var build = arm.Step(BuildSteps.BinariesId);
        Assert.Equal("scripts/build.sh linux-arm64", build.Create);
        Assert.Contains("multipass transfer out/linux-arm64/netlab-cni dev-cp1:", arm.Step(LabPlan.CniId("cp1")).Create, StringComparison.Ordinal);
        Assert.Contains("multipass transfer out/linux-arm64/netlab dev-cp1:", arm.Step(LabPlan.FabricId("cp1")).Create, StringComparison.Ordinal);
        Assert.DoesNotContain(arm.Steps, s => s.Create.Contains("out/bin/", StringComparison.Ordinal)); // the host's build never reaches a VM
        Assert.Equal("src-0123456789abcdef", build.Triggers["sources"]);
        Assert.Null(build.Node);

        var error = Assert.Throws<ArgumentException>(() => DeploymentPlanner.For(LabPlan.For(Labs.Example),
            Labs.Options with { Architecture = "win-x64" }, RenderedNodeFiles.Instance, NodeComponents.Instance));
        Assert.Contains("linux-x64 or linux-arm64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void I_can_carry_out_every_plan_step_and_write_each_local_file_once()
    {
        Assert.All(_deployment.Plan.Steps, p => Assert.Contains(_deployment.Steps, s => s.PlanStepId == p.Id));
        var paths = _deployment.LocalFiles.Select(f => f.Path).ToList();
        Assert.Equal(paths.Count, paths.Distinct().Count());
        Assert.Contains(".netlab/dev/worker1/kubeadm/join.yaml", paths);
        Assert.Contains(".netlab/dev/worker1/fabric.json", paths);
    }

    private static List<string> Differing(DeploymentPlan before, DeploymentPlan after) =>
        [.. after.Steps.Where(s => before.Steps.Any(b => b.Id == s.Id) && !before.Step(s.Id).Triggers.SequenceEqual(s.Triggers)).Select(s => s.Id)];
}
