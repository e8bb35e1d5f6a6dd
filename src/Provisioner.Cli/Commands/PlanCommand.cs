using System.CommandLine;

namespace Provisioner.Cli.Commands;

/// <summary>
/// <c>netlab plan</c>: what <c>up</c> would do, compared with what the kernel has now. After <c>up</c> it is empty;
/// a route or rule deleted by hand, or a dead pod server, shows up here as drift.
/// </summary>
public static class PlanCommand
{
    public static Command Create()
    {
        var stack = StackOptions.Stack();
        var cni = LabSession.CniDirectory();
        var command = new Command("plan", "Show what 'up' would create or change, against what is in the kernel now") { stack, cni };
        command.SetAction(async (parseResult, ct) =>
        {
            var output = CliOutput.For(parseResult);
            try
            {
                var session = LabSession.Open(parseResult.GetRequiredValue(stack), parseResult.GetValue(cni));
                var changes = await session.Lab.PlanAsync(ct);
                if (changes.Count == 0)
                {
                    output.Success($"lab '{session.Plan.Lab.Name}': nothing to do, the kernel matches the stack");
                    return ExitCodes.Ok;
                }
                foreach (var group in changes.GroupBy(c => c.Step))
                {
                    output.Line($"~ {group.Key}");
                    foreach (var change in group)
                        output.Line($"    {change.Description}");
                }
                output.Line($"{changes.Count} change(s); 'sudo netlab up' applies them.");
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
