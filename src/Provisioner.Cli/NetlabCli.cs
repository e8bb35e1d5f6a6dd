using System.CommandLine;
using Provisioner.Cli.Commands;

namespace Provisioner.Cli;

/// <summary>
/// The <c>netlab</c> command line. Each command lives in its own file under <c>Commands/</c> and is listed in
/// <see cref="Commands"/>; a command is a static <c>Create()</c> returning a <see cref="Command"/> whose action
/// writes through <see cref="CliOutput"/> and returns an <see cref="ExitCodes"/> value. Commands that wait on
/// processes use <c>SetAction(async (parseResult, cancellationToken) =&gt; ...)</c>; internal ones set <c>Hidden = true</c>.
/// </summary>
public static class NetlabCli
{
    /// <summary>Every top-level command, in the order <c>netlab --help</c> lists them.</summary>
    private static readonly Func<Command>[] Commands =
    [
        ValidateCommand.Create,
        RenderCommand.Create,
        UpCommand.Create,
        PlanCommand.Create,
        StatusCommand.Create,
        VerifyCommand.Create,
        ExecCommand.Create,
        ExplainCommand.Create,
        TraceCommand.Create,
        MetricsCommand.Create,
        TopCommand.Create,
        DrillCommand.Create,
        DownCommand.Create,
        StepCommand.Create,
        PodServerCommand.Create,
        NodeCommand.Create,
        ProxyCommand.Create,
    ];

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("netlab: Kubernetes networking labs for learners, built from a Pulumi stack file.");
        foreach (var create in Commands)
            root.Subcommands.Add(create());
        return root;
    }

    /// <summary>Runs the command line; output and error default to the console (tests pass writers).</summary>
    public static Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        var configuration = new InvocationConfiguration
        {
            Output = output ?? Console.Out,
            Error = error ?? Console.Error,
        };
        return BuildRoot().Parse(args).InvokeAsync(configuration, cancellationToken);
    }

    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null) =>
        RunAsync(args, output, error).GetAwaiter().GetResult();
}
