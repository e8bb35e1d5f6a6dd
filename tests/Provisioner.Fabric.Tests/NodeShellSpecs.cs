using Provisioner.Fabric.Convergence;
using Provisioner.Host.Processes;

namespace Provisioner.Fabric.Tests;

/// <summary>A hung fabric command ends in ProcessRunner's timeout error naming it, never a cancellation.</summary>
public sealed class NodeShellSpecs
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_command_past_its_limit_is_a_timeout_error_naming_it_even_when_it_may_fail(bool mayFail)
    {
        var shell = new NodeShell(ProcessRunner.Default, FabricTarget.Host, TimeSpan.FromMilliseconds(300));
        var hung = new FabricCommand("sleep", ["30"], InNetns: false, MayFail: mayFail);

        var error = await Assert.ThrowsAsync<CommandTimedOutException>(() => shell.RunAsync(hung, CancellationToken.None));

        Assert.Contains("'sleep 30' did not finish within 300 ms", error.Message, StringComparison.Ordinal);
    }
}
