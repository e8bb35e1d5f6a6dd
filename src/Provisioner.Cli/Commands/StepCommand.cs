using System.CommandLine;

namespace Provisioner.Cli.Commands;

/// <summary>
/// <c>netlab step apply|remove ID</c> (hidden): one netns plan step, idempotently. This is what the Pulumi program
/// runs for a stack with <c>backend: netns</c>, so <c>pulumi up</c> builds the same lab as <c>netlab up</c>.
/// </summary>
public static class StepCommand
{
    public static Command Create()
    {
        var command = new Command("step", "Apply or remove one step of the netns plan (used by the Pulumi program)") { Hidden = true };
        command.Subcommands.Add(Verb("apply", remove: false));
        command.Subcommands.Add(Verb("remove", remove: true));
        return command;
    }

    private static Command Verb(string name, bool remove)
    {
        var stack = StackOptions.Stack();
        var cni = LabSession.CniDirectory();
        var id = new Argument<string>("id") { Description = "The step id (see 'netlab plan' or the Pulumi resource names)" };
        var command = new Command(name, $"{name} one netns step") { stack, cni, id };
        command.SetAction(async (parseResult, ct) =>
        {
            var output = CliOutput.For(parseResult);
            try
            {
                var session = LabSession.Open(parseResult.GetRequiredValue(stack), parseResult.GetValue(cni));
                var step = session.Plan.Step(parseResult.GetRequiredValue(id));
                if (remove)
                {
                    await session.Lab.RemoveStepAsync(step, ct);
                    output.Success($"removed {step.Id}");
                    return ExitCodes.Ok;
                }
                Netns.LabState.Record(session.Lab.Layout, session.Lab.NamespaceNames);
                UpCommand.PrintStep(output, step, await session.Lab.ApplyStepAsync(step, ct));
                return ExitCodes.Ok;
            }
            catch (KeyNotFoundException e)
            {
                output.Problem(e.Message);
                return ExitCodes.Failed;
            }
            catch (Exception e)
            {
                return CommandErrors.Report(output, e);
            }
        });
        return command;
    }
}
