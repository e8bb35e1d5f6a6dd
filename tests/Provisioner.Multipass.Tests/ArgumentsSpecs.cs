using Xunit;

namespace Provisioner.Multipass.Tests;

public class ArgumentsSpecs
{
    private static readonly LaunchSpec Spec = new("dev-cp1", "24.04", 2, "4G", "20G", "/tmp/render/cp1/user-data", TimeSpan.FromMinutes(15));

    [Fact]
    public void I_can_build_the_launch_arguments_with_the_current_flag_names()
    {
        Assert.Equal(
            ["launch", "24.04", "--name", "dev-cp1", "--cpus", "2", "--memory", "4G", "--disk", "20G",
             "--cloud-init", "/tmp/render/cp1/user-data", "--timeout", "900"],
            MultipassDriver.LaunchArguments(Spec));
    }

    [Fact]
    public void I_can_build_info_exec_transfer_and_delete_arguments()
    {
        Assert.Equal(["info", "dev-cp1", "--format", "json"], MultipassDriver.InfoArguments("dev-cp1"));
        Assert.Equal(["exec", "dev-cp1", "--", "sudo", "kubeadm", "version"], MultipassDriver.ExecArguments("dev-cp1", ["sudo", "kubeadm", "version"]));
        Assert.Equal(["transfer", "out/netlab-cni", "dev-cp1:/tmp/netlab-cni"], MultipassDriver.TransferArguments("out/netlab-cni", "dev-cp1", "/tmp/netlab-cni"));
        Assert.Equal(["delete", "--purge", "dev-cp1"], MultipassDriver.DeleteArguments("dev-cp1"));
        Assert.Equal(["start", "dev-cp1"], MultipassDriver.StartArguments("dev-cp1"));
        Assert.Throws<ArgumentException>(() => MultipassDriver.StartArguments("--all"));
    }

    [Theory]
    [InlineData("--all")]
    [InlineData("-p")]
    [InlineData("")]
    [InlineData("dev cp1")]
    [InlineData("dev;rm")]
    public void It_refuses_a_name_that_is_not_an_instance_name_so_delete_can_never_mean_all(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => MultipassDriver.DeleteArguments(name));
        Assert.Contains("not a valid Multipass instance name", error.Message);
    }

    [Fact]
    public void It_refuses_a_relative_path_inside_the_VM()
    {
        Assert.Throws<ArgumentException>(() => MultipassDriver.TransferArguments("a", "dev-cp1", "relative/path"));
    }

    [Fact]
    public void It_refuses_exec_without_a_command()
    {
        Assert.Throws<ArgumentException>(() => MultipassDriver.ExecArguments("dev-cp1", []));
    }

    [Fact]
    public void I_can_install_a_file_as_root_through_a_staging_file_that_is_removed_afterwards()
    {
        var steps = MultipassDriver.InstallFileArguments("dev-cp1", "render/cp1/scripts/node-ip.sh", "/opt/netlab/bin/node-ip.sh", "0755");
        var staging = MultipassDriver.StagingPath("/opt/netlab/bin/node-ip.sh");

        Assert.StartsWith("/tmp/netlab-", staging);
        Assert.EndsWith("-node-ip.sh", staging);
        Assert.Equal(["transfer", "render/cp1/scripts/node-ip.sh", $"dev-cp1:{staging}"], steps[0]);
        Assert.Equal(["exec", "dev-cp1", "--", "sudo", "install", "-D", "-o", "root", "-g", "root", "-m", "0755", staging, "/opt/netlab/bin/node-ip.sh"], steps[1]);
        Assert.Equal(["exec", "dev-cp1", "--", "rm", "-f", staging], steps[2]);
        Assert.NotEqual(staging, MultipassDriver.StagingPath("/opt/netlab/bin/other/node-ip.sh"));
    }

    [Fact]
    public void It_refuses_a_mode_that_is_not_octal()
    {
        Assert.Throws<ArgumentException>(() => MultipassDriver.InstallFileArguments("dev-cp1", "a", "/b", "rwx"));
    }

    [Fact]
    public void I_can_turn_arguments_into_a_quoted_command_line_for_a_Pulumi_command()
    {
        var spec = Spec with { CloudInitFile = "/home/me/My Labs/user-data" };
        Assert.Equal(
            "multipass launch 24.04 --name dev-cp1 --cpus 2 --memory 4G --disk 20G --cloud-init '/home/me/My Labs/user-data' --timeout 900",
            MultipassDriver.CommandLine(MultipassDriver.LaunchArguments(spec)));
    }
}
