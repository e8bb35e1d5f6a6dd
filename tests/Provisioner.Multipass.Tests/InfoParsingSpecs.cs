using System.Net;
using Xunit;

namespace Provisioner.Multipass.Tests;

public class InfoParsingSpecs
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    [Fact]
    public void I_can_read_a_running_VM_from_multipass_info_json()
    {
        var vm = Assert.Single(MultipassInstance.ParseInfo(Fixture("info-running.json")));

        Assert.Equal("dev-cp1", vm.Name);
        Assert.True(vm.IsRunning);
        Assert.Equal(["10.0.2.15", "192.168.64.5", "10.244.0.1"], vm.IPv4.Select(a => a.ToString()));
        Assert.Equal("24.04 LTS", vm.ImageRelease);
        Assert.Equal("Ubuntu 24.04.1 LTS", vm.Release);
        Assert.Equal(2, vm.CpuCount);
        Assert.Equal(4102451200, vm.MemoryTotal);
        Assert.Equal(812343296, vm.MemoryUsed);
        Assert.Equal(20629221376, vm.DiskTotal);
        Assert.Equal(2871021568, vm.DiskUsed);
    }

    [Fact]
    public void I_can_read_a_stopped_VM_whose_numbers_are_empty()
    {
        var vm = Assert.Single(MultipassInstance.ParseInfo(Fixture("info-stopped.json")));

        Assert.Equal("Stopped", vm.State);
        Assert.False(vm.IsRunning);
        Assert.Empty(vm.IPv4);
        Assert.Null(vm.CpuCount);
        Assert.Null(vm.MemoryTotal);
        Assert.Null(vm.DiskTotal);
    }

    [Fact]
    public void It_refuses_output_without_an_info_object()
    {
        Assert.Throws<FormatException>(() => MultipassInstance.ParseInfo("""{"errors": []}"""));
    }

    [Fact]
    public void I_get_the_address_inside_the_node_network_and_not_a_NAT_address()
    {
        var vm = Assert.Single(MultipassInstance.ParseInfo(Fixture("info-running.json")));

        var chosen = NodeAddress.Choose(vm, "192.168.64.0/24");

        Assert.Equal(IPAddress.Parse("192.168.64.5"), chosen.Address);
        Assert.True(chosen.InNodeCidr);
    }

    [Fact]
    public void I_get_the_first_address_with_a_reason_and_a_fix_when_none_is_in_the_node_network()
    {
        var vm = Assert.Single(MultipassInstance.ParseInfo(Fixture("info-running.json")));

        var chosen = NodeAddress.Choose(vm, "172.16.0.0/24");

        Assert.Equal(IPAddress.Parse("10.0.2.15"), chosen.Address);
        Assert.False(chosen.InNodeCidr);
        Assert.Contains("none of dev-cp1's addresses", chosen.Reason);
        Assert.Contains("pulumi config set --path 'network.nodeCidr' 10.0.2.0/24", chosen.Reason);
    }

    [Fact]
    public void It_fails_with_a_fix_when_the_VM_has_no_address()
    {
        var stopped = Assert.Single(MultipassInstance.ParseInfo(Fixture("info-stopped.json")));

        var error = Assert.Throws<MultipassException>(() => NodeAddress.Choose(stopped, "192.168.64.0/24"));
        Assert.Contains("VM 'dev-worker1' is stopped, so it has no address", error.Message);
        Assert.Contains("multipass start dev-worker1", error.Fix);

        error = Assert.Throws<MultipassException>(() => NodeAddress.Choose(stopped with { State = "Running" }, "192.168.64.0/24"));
        Assert.Contains("has no IPv4 address (state: Running)", error.Message);
        Assert.Contains("multipass info dev-worker1", error.Fix);
    }
}
