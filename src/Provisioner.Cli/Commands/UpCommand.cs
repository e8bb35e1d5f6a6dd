using System.CommandLine;
using System.Diagnostics;
using Provisioner.Core.Planning;
using Provisioner.Netns;

namespace Provisioner.Cli.Commands;

/// <summary><c>netlab up</c>: builds the lab in network namespaces, or repairs whatever drifted; then shows it.</summary>
public static class UpCommand
{
    public static Command Create()
    {
        var stack = StackOptions.Stack();
        var cni = LabSession.CniDirectory();
        var command = new Command("up", "Build (or repair) the lab's networking as network namespaces on this host") { stack, cni };
        command.SetAction(async (parseResult, ct) =>
        {
            var output = CliOutput.For(parseResult);
            try
            {
                var session = LabSession.Open(parseResult.GetRequiredValue(stack), parseResult.GetValue(cni));
                using (Core.Diagnostics.PhaseTimer.Start("preflight"))
                    Preflight.Check(session.Plan.Lab, session.Options);
                output.Line($"netlab up: lab '{session.Plan.Lab.Name}' ({session.Plan.Lab.Nodes.Length} nodes, {session.Plan.Lab.Pods.Length} pods, " +
                            $"{session.Plan.Lab.Services.Length} services, {Core.Model.EnumNames.Of(session.Plan.Lab.Network.Fabric)} fabric)");
                var clock = Stopwatch.StartNew();
                var gate = new object();
                var total = 0;
                await session.Lab.UpAsync((step, changes) =>
                {
                    lock (gate)
                    {
                        total += changes.Count;
                        PrintStep(output, step, changes);
                    }
                }, ct);
                output.Success($"lab '{session.Plan.Lab.Name}' is up: {total} change(s) in {clock.Elapsed.TotalSeconds:0.00} s");
                using (Core.Diagnostics.PhaseTimer.Start("print the status"))
                    StatusCommand.Print(output, session, maxServices: 20);
                output.Line("Next: sudo netlab verify   (and sudo netlab plan to see drift, sudo netlab down to remove it all)");
                return ExitCodes.Ok;
            }
            catch (Exception e)
            {
                return CommandErrors.Report(output, e);
            }
        });
        return command;
    }

    internal static void PrintStep(CliOutput output, PlanStep step, IReadOnlyList<Change> changes)
    {
        if (changes.Count == 0)
        {
            output.Line($"  · {step.Id,-28} up to date");
            return;
        }
        output.Success($"{step.Id,-28} {step.Summary}");
        foreach (var change in changes)
            output.Line($"      {change.Description}");
    }
}
