using Xunit;

namespace Provisioner.Cli.Tests;

/// <summary><c>netlab proxy</c>'s own input problems are reported before anything starts, each with its fix.</summary>
public sealed class ProxyCommandSpecs
{
    [Fact]
    public void A_config_without_clusterCIDR_is_refused_with_the_field_and_an_example()
    {
        using var dir = new TempDir();
        var run = CliRun.Of("proxy", "--config", dir.File("proxy.yaml", "serviceCIDR: 10.96.0.0/12\n"));

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains("clusterCIDR is missing; write e.g. clusterCIDR: 10.244.0.0/16", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_bind_address_is_refused_with_the_flag_and_an_example()
    {
        using var dir = new TempDir();
        var run = CliRun.Of("proxy", "--config", dir.File("proxy.yaml", "clusterCIDR: 10.244.0.0/16\nserviceCIDR: 10.96.0.0/12\n"),
            "--metrics-bind-address", "localhost");

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains("--metrics-bind-address 'localhost' is not IP:PORT; write e.g. --metrics-bind-address 0.0.0.0:10256", run.Error, StringComparison.Ordinal);
    }
}
