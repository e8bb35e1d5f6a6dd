using Provisioner.Core.Planning;
using Provisioner.Deploy.Multipass;
using Xunit;

namespace Provisioner.Deploy.Tests;

/// <summary>The VM steps' commands run with /bin/sh against a fake multipass: what they do, not only what they say.</summary>
public sealed class VmStepBehaviourSpecs : IDisposable
{
    private readonly FakeMultipass _multipass = new();
    private readonly DeploymentPlan _deployment = Labs.Multipass();

    public void Dispose() => _multipass.Dispose();

    private CommandStep Machine(string node) => _deployment.Step(LabPlan.MachineId(node));

    [Fact]
    public void I_can_launch_a_vm_that_is_not_there_and_it_is_marked_as_this_stack_s()
    {
        var (exitCode, output) = _multipass.Run(Machine("cp1").Create);

        Assert.True(exitCode == 0, output);
        Assert.Contains(_multipass.Calls, c => c.StartsWith("launch 24.04 --name dev-cp1 ", StringComparison.Ordinal));
        Assert.Equal("stack=dev\n", File.ReadAllText(_multipass.Of("owner-dev-cp1")));
        Assert.False(File.Exists(Path.Combine(_multipass.Root, ".netlab/dev/launching/dev-cp1")), "the launch record goes once the VM is marked");
    }

    [Fact]
    public void A_retry_after_a_timed_out_launch_keeps_the_vm_it_left_instead_of_launching_again()
    {
        _multipass.HasVm("dev-cp1"); // launched, but the launch timed out before it was marked
        Directory.CreateDirectory(Path.Combine(_multipass.Root, ".netlab/dev/launching"));
        File.WriteAllText(Path.Combine(_multipass.Root, ".netlab/dev/launching/dev-cp1"), "");

        var (exitCode, output) = _multipass.Run(Machine("cp1").Create);

        Assert.True(exitCode == 0, output);
        Assert.DoesNotContain(_multipass.Calls, c => c.StartsWith("launch", StringComparison.Ordinal));
        Assert.Contains("start dev-cp1", _multipass.Calls);
        Assert.Equal("stack=dev\n", File.ReadAllText(_multipass.Of("owner-dev-cp1")));
    }

    [Theory]
    [InlineData("stack=other")] // a copied stack file kept name: dev
    [InlineData(null)]          // a VM netlab did not launch for this stack
    public void It_refuses_a_vm_of_that_name_that_is_not_this_stack_s_before_touching_it(string? owner)
    {
        _multipass.HasVm("dev-cp1", owner);

        var (exitCode, output) = _multipass.Run(Machine("cp1").Create);

        Assert.Equal(1, exitCode);
        Assert.Contains("a VM named dev-cp1 already exists and is not this stack's (stack=dev)", output, StringComparison.Ordinal);
        Assert.Contains(owner ?? "nothing", output, StringComparison.Ordinal);
        Assert.Contains("pulumi config set name", output, StringComparison.Ordinal);
        Assert.DoesNotContain(_multipass.Calls, c => c.StartsWith("launch", StringComparison.Ordinal) || c.Contains("tee", StringComparison.Ordinal));
        Assert.Equal(owner is null ? null : owner + "\n", File.Exists(_multipass.Of("owner-dev-cp1")) ? File.ReadAllText(_multipass.Of("owner-dev-cp1")) : null);
    }

    [Fact]
    public void A_join_pipes_a_token_minted_on_the_control_plane_into_the_worker_and_never_onto_a_command_line()
    {
        _multipass.HasVm("dev-cp1", "stack=dev");
        _multipass.HasVm("dev-worker1", "stack=dev");

        var (exitCode, output) = _multipass.Run(_deployment.Step(LabPlan.JoinId("worker1")).Create,
            environment: new Dictionary<string, string> { ["NETLAB_ADDRESS_WORKER1"] = "192.168.64.12" });

        Assert.True(exitCode == 0, output);
        Assert.Contains("exec dev-cp1 -- sudo /opt/netlab/bin/print-join-command.sh", _multipass.Calls);
        Assert.Contains("exec dev-worker1 -- sudo /opt/netlab/bin/kubeadm-join.sh 192.168.64.12", _multipass.Calls);
        Assert.Equal(FakeMultipass.JoinCommand + "\n", File.ReadAllText(_multipass.Of("join-stdin-dev-worker1")));
        Assert.All(_multipass.Calls, c => Assert.DoesNotContain(FakeMultipass.Token, c, StringComparison.Ordinal));
        Assert.DoesNotContain(FakeMultipass.Token, output, StringComparison.Ordinal);
    }

    [Fact]
    public void Removing_a_worker_drains_it_deletes_its_node_and_resets_it_and_works_without_a_control_plane()
    {
        var delete = _deployment.Step(LabPlan.JoinId("worker1")).Delete!;
        _multipass.HasVm("dev-cp1", "stack=dev");
        _multipass.HasVm("dev-worker1", "stack=dev");

        Assert.Equal(0, _multipass.Run(delete).ExitCode);
        var calls = _multipass.Calls.Where(c => c.StartsWith("exec", StringComparison.Ordinal)).ToList();
        Assert.Equal(["exec dev-cp1 -- sudo kubectl --kubeconfig /etc/kubernetes/admin.conf drain dev-worker1 --ignore-daemonsets --delete-emptydir-data --force --timeout=120s",
            "exec dev-cp1 -- sudo kubectl --kubeconfig /etc/kubernetes/admin.conf delete node dev-worker1 --ignore-not-found",
            "exec dev-worker1 -- sudo kubeadm reset --force"], calls);

        File.Delete(_multipass.Of("vm-dev-cp1")); // the control plane went first, or never came up
        var (exitCode, output) = _multipass.Run(delete);
        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public void Deletes_work_from_a_moved_checkout_because_no_step_stores_an_absolute_path()
    {
        var kubeconfig = _deployment.Step(LabPlan.KubeconfigId);
        var moved = Path.Combine(_multipass.Root, "moved");
        Directory.CreateDirectory(Path.Combine(moved, "infra/Provisioner.Infra")); // where Pulumi runs the command provider
        File.WriteAllText(Path.Combine(moved, "Pulumi.yaml"), "name: netlab\n");
        Directory.CreateDirectory(Path.Combine(moved, ".netlab/dev"));
        File.WriteAllText(Path.Combine(moved, ".netlab/dev/kubeconfig"), "apiVersion: v1\n");

        var (exitCode, output) = _multipass.Run(kubeconfig.Delete!, Path.Combine(moved, "infra/Provisioner.Infra"));

        Assert.True(exitCode == 0, output);
        Assert.False(File.Exists(Path.Combine(moved, ".netlab/dev/kubeconfig")));
        Assert.All(_deployment.Steps, s => Assert.DoesNotContain(Provisioner.Testing.RepoPaths.Root, s.Create + s.Update + s.Delete, StringComparison.Ordinal));
    }

    [Fact]
    public void Outside_any_checkout_a_step_fails_with_what_to_do()
    {
        var (exitCode, output) = _multipass.Run("true", Path.GetTempPath());

        Assert.Equal(1, exitCode);
        Assert.Contains("no Pulumi.yaml in or above the working directory", output, StringComparison.Ordinal);
    }
}
