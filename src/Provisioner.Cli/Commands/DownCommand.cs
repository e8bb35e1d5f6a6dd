using System.CommandLine;
using System.Diagnostics;

namespace Provisioner.Cli.Commands;

/// <summary>
/// <c>netlab down</c>: removes everything the lab made (namespaces, links, OVS daemons and state, rules, IPAM state,
/// pod processes) and nothing else. Safe to run twice, and after a crash or a half-finished <c>up</c>.
/// </summary>
public static class DownCommand
{
    public static Command Create()
    {
        var stack = StackOptions.Stack();
        var cni = LabSession.CniDirectory();
        var command = new Command("down", "Remove everything the lab created, and nothing else") { stack, cni };
        command.SetAction(async (parseResult, ct) =>
        {
            var output = CliOutput.For(parseResult);
            try
            {
                var session = LabSession.Open(parseResult.GetRequiredValue(stack), parseResult.GetValue(cni));
                var clock = Stopwatch.StartNew();
                await session.Lab.DownAsync(output.Line, ct);
                output.Success($"lab '{session.Plan.Lab.Name}' removed in {clock.Elapsed.TotalSeconds:0.00} s");
                return ExitCodes.Ok;
            }
            catch (Exception e)
            {
                return CommandErrors.Report(output, e);
            }
        });
        return command;
    }
}
