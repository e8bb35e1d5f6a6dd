using System.Reflection;
using Provisioner.Cli.Commands;
using Provisioner.Host.Processes;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Cli.Tests;

/// <summary>
/// Every netlab error has one root, and every command prints it the same way through <see cref="CommandErrors"/>:
/// the message and its fix, the exit code, never a stack trace.
/// </summary>
public sealed class CommandErrorSpecs : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Every src/ project but netlab-cni (its own executable; Provisioner.Cni.Tests checks it).</summary>
    public static TheoryData<string> Assemblies() =>
        [.. Directory.GetDirectories(RepoPaths.Of("src")).Select(Path.GetFileName).OfType<string>().Where(n => n != "Provisioner.Cni").Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void Every_exception_type_of_each_project_derives_from_the_one_root(string assembly) =>
        Assert.Empty(ExceptionRoot.StrayTypes(Assembly.Load(assembly == "Provisioner.Cli" ? typeof(NetlabCli).Assembly.GetName().Name! : assembly)));

    private const string BrokenStack = """
        config:
          netlab:name: Bad_Lab
          netlab:nodes:
            - { name: cp1, role: control-plane, cpus: 1 }
        """;

    /// <summary>Each command that reads a stack, with the arguments it needs besides <c>--stack</c>.</summary>
    public static TheoryData<string> StackCommands() =>
    [
        "validate", "render --out OUT", "up", "plan", "status", "verify", "exec client -- true", "explain web", "metrics",
        "top --once", "trace packet client web", "drill start pod-down", "drill stop", "down", "step apply cni-cp1", "step remove cni-cp1",
    ];

    [Theory]
    [MemberData(nameof(StackCommands))]
    public void Each_command_prints_a_bad_stacks_problems_with_their_fix_and_exit_code_and_no_stack_trace(string command)
    {
        var stack = _dir.File("Pulumi.bad.yaml", BrokenStack);
        var words = command.Split(' ').Select(a => a == "OUT" ? _dir.Of("out") : a).ToList();
        var split = words.IndexOf("--") is var dashes and >= 0 ? dashes : words.Count; // exec's command comes last
        string[] args = [.. words.Take(split), "--stack", stack, .. words.Skip(split)];
        var run = CliRun.Of(args);

        Assert.True(run.ExitCode == ExitCodes.InvalidStack, run.ToString());
        Assert.Contains("✗ name: ", run.Error, StringComparison.Ordinal);
        Assert.Contains("Fix: ", run.Error, StringComparison.Ordinal);
        Assert.Contains("nothing was created", run.Error, StringComparison.Ordinal);
        NoStackTrace(run);
    }

    [Fact]
    public void An_unknown_step_prints_the_id_and_where_to_find_the_ids()
    {
        var stack = File.ReadAllText(RepoPaths.Of("Pulumi.dev.yaml")).Replace("netlab:backend: multipass", "netlab:backend: netns", StringComparison.Ordinal);
        var run = CliRun.Of("step", "apply", "no-such-step", "--stack", _dir.File("Pulumi.dev.yaml", stack));

        Assert.True(run.ExitCode == ExitCodes.Failed, run.ToString());
        Assert.Contains("✗ no step 'no-such-step'", run.Error, StringComparison.Ordinal);
        Assert.Contains("Fix: give one of the step ids `netlab plan` lists", run.Error, StringComparison.Ordinal);
        NoStackTrace(run);
    }

    [Fact]
    public void A_node_document_without_the_nodes_address_prints_the_option_to_pass()
    {
        var document = _dir.File("services.json", """{"backend":"iptables","node":{"nodeName":"worker1"},"table":{"services":[]}}""");
        var run = CliRun.Of("node", "services", "apply", document, "--state-dir", _dir.Of("state"));

        Assert.True(run.ExitCode == ExitCodes.Failed, run.ToString());
        Assert.Contains("services document", run.Error, StringComparison.Ordinal);
        NoStackTrace(run);
    }

    [Fact]
    public void A_timed_out_command_prints_the_command_the_limit_and_what_to_check()
    {
        using var error = new StringWriter();
        var output = CliOutputFor(error);
        var code = CommandErrors.Report(output, new CommandTimedOutException("iptables-nft-save -t nat", TimeSpan.FromSeconds(60), "whether another program holds the xtables lock"));

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("✗ 'iptables-nft-save -t nat' did not finish within 60 s and was stopped.", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("Check: whether another program holds the xtables lock", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_fix_the_message_does_not_say_is_printed_on_a_line_of_its_own()
    {
        using var error = new StringWriter();
        var code = CommandErrors.Report(CliOutputFor(error), new CommandInputException("no step 'x'", "give a step id"));

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Equal(["✗ no step 'x'", "Fix: give a step id"], error.ToString().TrimEnd().Split(Environment.NewLine));
    }

    [Fact]
    public void An_error_that_is_no_netlab_error_is_a_bug_and_keeps_its_stack_trace()
    {
        using var error = new StringWriter();
        var bug = new ArgumentOutOfRangeException("a bug");
        Assert.Same(bug, Assert.Throws<ArgumentOutOfRangeException>(() => CommandErrors.Report(CliOutputFor(error), bug)));
    }

    private static CliOutput CliOutputFor(StringWriter error) => CliOutput.For(TextWriter.Null, error);

    private static void NoStackTrace(CliRun run)
    {
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", run.Error, StringComparison.Ordinal);
    }
}
