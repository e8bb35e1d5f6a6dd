using System.Net;
using Provisioner.Host.Processes;
using Xunit;

namespace Provisioner.Multipass.Tests;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DriverSpecs : IDisposable
{
    private readonly FakeMultipass _fake = new();

    public void Dispose() => _fake.Dispose();

    [Fact]
    public async Task It_says_how_to_install_Multipass_when_the_program_is_missing()
    {
        var driver = new MultipassDriver(program: "/nonexistent/netlab-test/multipass");

        var error = await Assert.ThrowsAsync<MultipassException>(() => driver.InfoAsync("dev-cp1"));

        Assert.Contains("was not found", error.Message);
        Assert.Contains("snap install multipass", error.Fix);
        Assert.Contains("brew install --cask multipass", error.Fix);
        Assert.Contains("Windows", error.Fix);
    }

    [Fact]
    public async Task I_can_read_a_VM_and_get_null_for_one_that_does_not_exist()
    {
        var driver = _fake.Driver();

        var vm = await driver.InfoAsync("dev-cp1");
        var ghost = await driver.InfoAsync("ghost");

        Assert.NotNull(vm);
        Assert.Equal("Running", vm.State);
        Assert.Null(ghost);
        Assert.Equal(["info dev-cp1 --format json", "info ghost --format json"], _fake.Calls);
    }

    [Fact]
    public async Task I_can_delete_a_VM_that_is_already_gone_and_only_ever_by_name()
    {
        await _fake.Driver().DeleteAsync("ghost");

        Assert.Equal(["delete --purge ghost"], _fake.Calls);
    }

    [Fact]
    public async Task I_can_pass_a_secret_to_a_command_in_the_VM_on_stdin_not_in_its_arguments()
    {
        var result = await _fake.Driver().ExecAsync("dev-cp1", ["sudo", "/opt/netlab/bin/kubeadm-join.sh"], stdin: "kubeadm join 1.2.3.4:6443 --token abc");

        Assert.Equal("ran: sudo /opt/netlab/bin/kubeadm-join.sh", result.StandardOutput.Trim());
        Assert.Equal("kubeadm join 1.2.3.4:6443 --token abc", _fake.Stdin);
        Assert.DoesNotContain(_fake.Calls, c => c.Contains("--token", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failed_launch_carries_the_command_line_multipass_error_and_a_fix()
    {
        var spec = new LaunchSpec("dev-cp1", "24.04", 2, "4G", "20G", "/tmp/user-data", TimeSpan.FromSeconds(60));

        var error = await Assert.ThrowsAsync<CommandFailedException>(() => _fake.Driver().LaunchAsync(spec));

        Assert.Equal(2, error.ExitCode);
        Assert.Contains("multipass launch 24.04 --name dev-cp1", error.Message);
        Assert.Contains("already in use", error.Message);
        Assert.Contains("multipass delete --purge dev-cp1", error.Message);
    }

    [Fact]
    public async Task I_get_the_node_address_of_a_running_VM()
    {
        var address = await _fake.Driver().WaitForAddressAsync("dev-cp1", "192.168.64.0/24", TimeSpan.FromSeconds(5));

        Assert.Equal(IPAddress.Parse("192.168.64.5"), address.Address);
    }

    [Fact]
    public async Task A_VM_that_never_gets_an_address_fails_with_what_to_check()
    {
        var error = await Assert.ThrowsAsync<MultipassException>(
            () => _fake.Driver().WaitForAddressAsync("dev-worker1", "192.168.64.0/24", TimeSpan.FromSeconds(3))); // long enough for two asks on a loaded machine

        Assert.Contains("has no IPv4 address after", error.Message);
        Assert.Contains("state: Stopped", error.Message);
        Assert.Contains("multipass start dev-worker1", error.Fix);
        Assert.True(_fake.Calls.Count >= 2, "it asks again until the deadline");
    }

    [Fact]
    public async Task I_can_install_a_file_on_a_VM_in_three_calls_transfer_install_remove()
    {
        await _fake.Driver().InstallFileAsync("dev-cp1", "render/cp1/scripts/node-ip.sh", "/opt/netlab/bin/node-ip.sh", "0755");

        var staging = MultipassDriver.StagingPath("/opt/netlab/bin/node-ip.sh");
        Assert.Equal(
            [$"transfer render/cp1/scripts/node-ip.sh dev-cp1:{staging}",
             $"exec dev-cp1 -- sudo install -D -o root -g root -m 0755 {staging} /opt/netlab/bin/node-ip.sh",
             $"exec dev-cp1 -- rm -f {staging}"],
            _fake.Calls);
    }
}
