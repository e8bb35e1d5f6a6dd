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
}
