using System.CommandLine;
using Provisioner.Netns;

namespace Provisioner.Cli.Commands;

/// <summary>
/// <c>netlab step apply|remove ID</c> (hidden): one netns plan step, idempotently. This is what the Pulumi program
/// runs for a stack with <c>backend: netns</c>, so <c>pulumi up</c> builds the same lab as <c>netlab up</c>.
/// <c>apply</c> records the stack it applied the step from (<see cref="AppliedSteps"/>); <c>remove --lab NAME</c>
/// undoes the step as that record describes it, whatever the stack file says now.
/// </summary>
public static class StepCommand
{
    public static Command Create()
    {
        var command = new Command("step", "Apply or remove one step of the netns plan (used by the Pulumi program)") { Hidden = true };
        command.Subcommands.Add(Apply());
        command.Subcommands.Add(Remove());
        return command;
    }

    private static Argument<string> Id() => new("id") { Description = "The step id (see 'netlab plan' or the Pulumi resource names)" };

    private static Command Apply()
    {
        var stack = StackOptions.Stack();
        var cni = LabSession.CniDirectory();
        var id = Id();
        var command = new Command("apply", "apply one netns step") { stack, cni, id };
        command.SetAction((parseResult, ct) => Run(parseResult, async output =>
        {
            var stackFile = parseResult.GetRequiredValue(stack);
            var session = LabSession.Open(stackFile, parseResult.GetValue(cni));
            var step = StepOf(session, parseResult.GetRequiredValue(id));
            LabState.Record(session.Lab.Layout, session.Lab.NamespaceNames);
            // Recorded before anything is made, so that a removal after a failed apply still knows what to undo.
            AppliedSteps.Record(session.Lab.Layout, step.Id, await File.ReadAllTextAsync(stackFile.FullName, ct));
            UpCommand.PrintStep(output, step, await session.Lab.ApplyStepAsync(step, ct));
        }));
        return command;
    }

    private static Command Remove()
    {
        var lab = new Option<string?>("--lab")
        {
            Description = "Remove the step as it was last applied in this lab (from its record), whatever the stack file says now",
            HelpName = "NAME",
        };
        var stack = StackOptions.Stack();
        var cni = LabSession.CniDirectory();
        var id = Id();
        var command = new Command("remove", "remove one netns step") { lab, stack, cni, id };
        command.SetAction((parseResult, ct) => Run(parseResult, async output =>
        {
            var stepId = parseResult.GetRequiredValue(id);
            LabSession session;
            if (parseResult.GetValue(lab) is { } labName)
            {
                var layout = new LabLayout(labName, LabLayout.DefaultStateRoot);
                if (AppliedSteps.Load(layout, stepId) is not { } applied)
                {
                    output.Success($"{stepId} of lab {labName} is not applied (no record in {AppliedSteps.PathOf(layout, stepId)}): nothing to remove");
                    return;
                }
                session = LabSession.Parse(applied, AppliedSteps.PathOf(layout, stepId), parseResult.GetValue(cni));
            }
            else
            {
                session = LabSession.Open(parseResult.GetRequiredValue(stack), parseResult.GetValue(cni));
            }
            var step = StepOf(session, stepId);
            await session.Lab.RemoveStepAsync(step, ct);
            AppliedSteps.Forget(session.Lab.Layout, step.Id);
            output.Success($"removed {step.Id}");
        }));
        return command;
    }

    private static Core.Planning.PlanStep StepOf(LabSession session, string id) =>
        session.Plan.Steps.FirstOrDefault(s => s.Id == id)
        ?? throw new CommandInputException($"no step '{id}'", "give one of the step ids `netlab plan` lists for this stack");

    private static async Task<int> Run(ParseResult parseResult, Func<CliOutput, Task> action)
    {
        var output = CliOutput.For(parseResult);
        try
        {
            await action(output);
            return ExitCodes.Ok;
        }
        catch (Exception e)
        {
            return CommandErrors.Report(output, e);
        }
    }
}
