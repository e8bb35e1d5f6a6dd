using System.Security.Cryptography;
using System.Text;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Cli.Tests;

public sealed class RenderCommandSpecs : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void I_can_render_what_each_node_receives_into_a_folder_per_node()
    {
        var run = CliRun.Of("render", "--stack", RepoPaths.Of("Pulumi.dev.yaml"), "--out", _dir.Path);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["cp1", "worker1", "worker2"], Directory.GetDirectories(_dir.Path).Select(Path.GetFileName).Order());
        Assert.StartsWith("#cloud-config", File.ReadAllText(_dir.Of("cp1", "user-data")));
        Assert.Contains("kind: InitConfiguration", File.ReadAllText(_dir.Of("cp1", "kubeadm", "init.yaml")));
        Assert.Contains("kind: JoinConfiguration", File.ReadAllText(_dir.Of("worker1", "kubeadm", "join.yaml")));
        Assert.True(File.Exists(_dir.Of("worker2", "scripts", "kubeadm-join.sh")));
        Assert.Contains("rendered lab 'dev' (3 nodes)", run.Output);
    }

    [Fact]
    public void I_can_read_the_steps_pulumi_up_would_run_next_to_the_rendered_files()
    {
        var run = CliRun.Of("render", "--stack", RepoPaths.Of("Pulumi.dev.yaml"), "--out", _dir.Path);

        Assert.True(run.ExitCode == 0, run.ToString());
        var steps = File.ReadAllText(_dir.Of("steps.txt"));
        Assert.StartsWith("# The steps 'pulumi up' runs for stack dev (lab dev, backend multipass)", steps, StringComparison.Ordinal);
        Assert.Contains("== dev-dev-machine-cp1\n", steps, StringComparison.Ordinal);
        Assert.Contains("== dev-dev-join-worker2\n", steps, StringComparison.Ordinal);
        Assert.Contains("print-join-command.sh </dev/null | multipass exec dev-worker2", steps, StringComparison.Ordinal);
        Assert.Contains("steps.txt: the steps 'pulumi up' would run", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Scripts_are_executable_and_kubeadm_configs_private()
    {
        Assert.Equal(0, CliRun.Of("render", "--stack", RepoPaths.Of("Pulumi.dev.yaml"), "--out", _dir.Path).ExitCode);
        if (OperatingSystem.IsWindows())
            return;

        Assert.True(File.GetUnixFileMode(_dir.Of("cp1", "scripts", "kubeadm-init.sh")).HasFlag(UnixFileMode.UserExecute));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_dir.Of("cp1", "kubeadm", "init.yaml")));
    }

    [Fact]
    public void The_checksums_it_writes_match_the_files()
    {
        Assert.Equal(0, CliRun.Of("render", "--stack", RepoPaths.Of("Pulumi.dev.yaml"), "--out", _dir.Path).ExitCode);

        var sums = File.ReadAllLines(_dir.Of("worker1", "SHA256SUMS"));
        Assert.NotEmpty(sums);
        foreach (var line in sums)
        {
            var (hash, path) = (line[..64], line[66..]);
            var file = _dir.Of("worker1", path);
            var mode = OperatingSystem.IsWindows() ? "" : "0" + Convert.ToString((int)File.GetUnixFileMode(file), 8);
            Assert.Equal(hash, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{mode}\n{File.ReadAllText(file)}"))));
        }
    }

    [Fact]
    public void It_needs_an_output_folder()
    {
        var run = CliRun.Of("render", "--stack", RepoPaths.Of("Pulumi.dev.yaml"));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--out", run.Error);
    }

    [Fact]
    public void It_writes_nothing_for_an_invalid_stack()
    {
        var stack = _dir.File("Pulumi.bad.yaml", "config:\n  netlab:name: x\n  netlab:nodes: []\n");

        var run = CliRun.Of("render", "--stack", stack, "--out", _dir.Of("out"));

        Assert.Equal(ExitCodes.InvalidStack, run.ExitCode);
        Assert.Contains("nodes", run.Error);
        Assert.False(Directory.Exists(_dir.Of("out")));
    }

    [Fact]
    public void A_broken_template_is_reported_with_file_and_line_and_nothing_is_written()
    {
        Directory.CreateDirectory(_dir.Of("templates", "scripts"));
        File.WriteAllText(_dir.Of("templates", "scripts", "node-ip.sh.sbn"), "#!/usr/bin/env bash\necho {{ node.no_such_thing }}\n");

        var run = CliRun.Of("render", "--stack", RepoPaths.Of("Pulumi.dev.yaml"), "--out", _dir.Of("out"), "--templates", _dir.Of("templates"));

        Assert.Equal(ExitCodes.TemplateError, run.ExitCode);
        Assert.Contains("node-ip.sh.sbn:2:", run.Error);
        Assert.False(Directory.Exists(_dir.Of("out")));
    }
}
