using System.CommandLine;
using Provisioner.Host.Processes;
using Provisioner.Observability.Drills;

namespace Provisioner.Cli.Commands;

/// <summary>
/// <c>netlab drill list | start NAME | stop</c>: real failures applied to the running lab. Start says what the
/// learner will observe, never what broke; <c>netlab verify</c> and <c>netlab trace packet</c> find it; stop repairs.
/// </summary>
public static class DrillCommand
{
    public static Command Create()
    {
        var list = new Command("list", "The drills this lab offers, with what you will observe");
        var start = new Command("start", "Break the lab the drill's way (then find it with verify and trace packet)");
        var name = new Argument<string>("name") { Description = "The drill (see netlab drill list)" };
        start.Arguments.Add(name);
        var stop = new Command("stop", "Undo the running drill and repair the lab, then say what it was");
        var stack = StackOptions.Stack();
        var command = new Command("drill", "Practise finding a broken layer: real failures applied to the running lab") { list, start, stop };
        foreach (var sub in new[] { list, start, stop })
            sub.Options.Add(stack);
        list.SetAction(parseResult => Run(parseResult, stack, async (runner, output, _) =>
        {
            foreach (var drill in runner.Catalog)
                output.Line($"{drill.Name,-20} {drill.Symptom}");
            if (runner.Active is { } active)
                output.Line($"running: {active.Drill.Name} (since {active.Started:HH:mm:ss} UTC)");
            await Task.CompletedTask;
            return ExitCodes.Ok;
        }));
        start.SetAction((parseResult, ct) => Run(parseResult, stack, async (runner, output, c) =>
        {
            var drill = await runner.StartAsync(parseResult.GetRequiredValue(name), c);
            output.Line($"drill '{drill.Name}' started. What you will observe: {drill.Symptom}");
            output.Line("Find the broken layer: sudo netlab verify; sudo netlab trace packet FROM TO. Undo: sudo netlab drill stop");
            return ExitCodes.Ok;
        }, ct));
        stop.SetAction((parseResult, ct) => Run(parseResult, stack, async (runner, output, c) =>
        {
            if (await runner.StopAsync(c) is not { } drill)
            {
                output.Line("no drill is running");
                return ExitCodes.Ok;
            }
            output.Success($"drill '{drill.Name}' stopped and the lab repaired. What broke: {drill.Explanation}");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static async Task<int> Run(ParseResult parseResult, Option<FileInfo> stack, Func<DrillRunner, CliOutput, CancellationToken, Task<int>> action,
        CancellationToken ct = default)
    {
        var output = CliOutput.For(parseResult);
        try
        {
            var session = LabSession.Open(parseResult.GetRequiredValue(stack));
            return await action(new DrillRunner(session.Lab, ProcessRunner.Default), output, ct);
        }
        catch (Exception e)
        {
            return CommandErrors.Report(output, e);
        }
    }
}
