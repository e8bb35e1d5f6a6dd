using Provisioner.Host.Processes;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Cli.Tests;

public class RootCommandSpecs
{
    [Fact]
    public void Help_lists_the_commands()
    {
        var run = CliRun.Of("--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("validate", run.Output);
        Assert.Contains("render", run.Output);
    }

    [Fact]
    public void An_unknown_command_fails()
    {
        Assert.NotEqual(0, CliRun.Of("frobnicate").ExitCode);
    }

    [Fact]
    public async Task The_netlab_executable_validates_Pulumi_dev_yaml_of_the_directory_it_runs_in()
    {
        var netlab = Path.Combine(AppContext.BaseDirectory, "netlab.dll");

        var result = await ProcessRunner.Default.TryRunAsync("env", ["-C", RepoPaths.Root, "dotnet", netlab, "validate"]);

        Assert.True(result.Succeeded, result.StandardOutput + result.StandardError);
        Assert.Contains("Pulumi.dev.yaml is valid", result.StandardOutput);
    }
}
