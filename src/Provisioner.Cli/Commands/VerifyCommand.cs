using System.CommandLine;
using System.Net;
using Provisioner.Host.Processes;
using Provisioner.Netns.Verify;
using Spectre.Console;

namespace Provisioner.Cli.Commands;

/// <summary>
/// <c>netlab verify</c>: the layered check an SRE does by hand, each line pass or fail; on failure, the lowest broken
/// layer and the command to look further. Exits non-zero on any failure.
/// </summary>
public static class VerifyCommand
{
    public static Command Create()
    {
        var stack = StackOptions.Stack();
        var command = new Command("verify", "Check every layer: underlay, pod network, node bridge, fabric, ClusterIP, NodePort") { stack };
        command.SetAction(async (parseResult, ct) =>
        {
            var output = CliOutput.For(parseResult);
            try
            {
                var session = LabSession.Open(parseResult.GetRequiredValue(stack));
                var verifier = new LabVerifier(session.Plan, session.Lab.Layout, new Probe(ProcessRunner.Default),
                    pod => session.PodAddress(pod) is { } a ? IPAddress.Parse(a) : null);
                var checks = await verifier.RunAsync(ct);
                var table = new Table().AddColumns("", "layer", "check", "result");
                foreach (var check in checks)
                    table.AddRow(check.Skipped ? "[grey]-[/]" : check.Passed ? "[green]✓[/]" : "[red]✗[/]", check.Layer.ToString(),
                        Markup.Escape(check.Name), Markup.Escape(check.Detail));
                output.Out.Write(table);
                var broken = LabVerifier.FirstBroken(checks);
                var failed = checks.Count(c => !c.Passed);
                if (broken is null)
                {
                    output.Success($"all {checks.Count(c => !c.Skipped)} checks passed");
                    return ExitCodes.Ok;
                }
                output.Problem($"{failed} check(s) failed. Lowest broken layer: {broken.Layer} ({broken.Name}: {broken.Detail})");
                output.Line($"Look further: {broken.LookFurther}");
                return ExitCodes.VerifyFailed;
            }
            catch (Exception e)
            {
                return CommandErrors.Report(output, e);
            }
        });
        return command;
    }
}
