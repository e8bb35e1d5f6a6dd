using Provisioner.Testing;
using Xunit;

namespace Provisioner.Cli.Tests;

public sealed class ValidateCommandSpecs : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string BrokenStack = """
        config:
          netlab:name: Bad_Lab
          netlab:network:
            podCidr: 10.96.0.0/12
            serviceCidr: 10.96.0.0/16
            fabric: geneve
          netlab:nodes:
            - { name: cp1, role: control-plane, cpus: 1, memory: 1G }
            - { name: cp1, role: worker }
        """;

    [Fact]
    public void I_can_validate_the_example_stack()
    {
        var run = CliRun.Of("validate", "--stack", RepoPaths.Of("Pulumi.dev.yaml"));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Pulumi.dev.yaml is valid: lab 'dev' on multipass, 3 node(s)", run.Output);
        Assert.Empty(run.Error);
    }

    [Fact]
    public void It_reports_every_problem_at_once_one_line_each_with_key_value_and_fix()
    {
        var run = CliRun.Of("validate", "--stack", _dir.File("Pulumi.bad.yaml", BrokenStack));

        Assert.Equal(ExitCodes.InvalidStack, run.ExitCode);
        var problems = run.Error.Split('\n').Where(l => l.StartsWith("✗ ", StringComparison.Ordinal)).ToList();
        Assert.True(problems.Count >= 5, run.ToString());
        Assert.All(problems, p => Assert.Contains("Fix: ", p));
        Assert.Contains(problems, p => p.Contains("name", StringComparison.Ordinal) && p.Contains("'Bad_Lab'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("network.fabric", StringComparison.Ordinal) && p.Contains("geneve", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("nodes[0].cpus", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("nodes[1].name", StringComparison.Ordinal));
        Assert.Contains("nothing was created", run.Error);
    }

    [Fact]
    public void It_says_how_to_point_at_a_stack_file_that_does_not_exist()
    {
        var run = CliRun.Of("validate", "--stack", _dir.Of("Pulumi.nope.yaml"));

        Assert.Equal(ExitCodes.InvalidStack, run.ExitCode);
        Assert.Contains("--stack", run.Error);
        Assert.Contains("no such stack file", run.Error);
    }

    [Fact]
    public void The_stack_defaults_to_Pulumi_dev_yaml_in_the_current_directory()
    {
        var parse = NetlabCli.BuildRoot().Parse(["validate"]);
        var stack = parse.CommandResult.Command.Options.Single(o => o.Name == "--stack");

        var value = parse.GetValue<FileInfo>(stack.Name);

        Assert.Empty(parse.Errors);
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "Pulumi.dev.yaml"), value!.FullName);
    }
}
