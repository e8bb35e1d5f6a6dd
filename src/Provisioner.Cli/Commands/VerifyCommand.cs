using System.CommandLine;
using System.Net;
using Provisioner.Core.Verification;
using Provisioner.Host.Processes;
using Provisioner.Netns.Verify;
using Provisioner.VmLab.Verify;
using Spectre.Console;

namespace Provisioner.Cli.Commands;

/// <summary>
/// <c>netlab verify</c>: the layered check an SRE does by hand, each line pass or fail; on failure, the lowest broken
/// layer and the command to look further. Exits non-zero on any failure. The same checks on the netns lab (from inside
/// its namespaces) and on the VM lab (through <c>multipass exec</c> and <c>kubectl exec</c>).
/// </summary>
public static class VerifyCommand
{
    public static Command Create()
    {
        var stack = StackOptions.Stack();
        var backend = VmLabSession.Backend();
        var command = new Command("verify", "Check every layer: underlay, pod network, node bridge, fabric, ClusterIP, NodePort, egress, DNS, NetworkPolicy") { stack, backend };
        command.SetAction(async (parseResult, ct) =>
        {
            var output = CliOutput.For(parseResult);
            try
            {
                var stackFile = parseResult.GetRequiredValue(stack);
                IReadOnlyList<VerifyCheck> checks;
                Core.Policy.ReachabilityMatrix? matrix = null;
                if (VmLabSession.Choose(stackFile, parseResult.GetValue(backend)) is { } vmLab)
                {
                    output.Line($"VM lab {vmLab.Lab.Name} (kubeconfig {vmLab.KubeconfigForDisplay})");
                    checks = await new VmLabVerifier(vmLab, VmLabSession.Probes(vmLab)).RunAsync(ct);
                }
                else
                {
                    var session = LabSession.Open(stackFile);
                    var verifier = new LabVerifier(session.Plan, session.Lab.Layout, new Probe(ProcessRunner.Default),
                        pod => session.PodAddress(pod) is { } a ? IPAddress.Parse(a) : null);
                    checks = await verifier.RunAsync(ct);
                    matrix = verifier.Matrix;
                }
                if (matrix is not null)
                    output.Line("NetworkPolicy reachability (rows: from; columns: to)" + Environment.NewLine + matrix.Render());
                return Report(output, checks);
            }
            catch (Exception e)
            {
                return CommandErrors.Report(output, e);
            }
        });
        return command;
    }

    private static int Report(CliOutput output, IReadOnlyList<VerifyCheck> checks)
    {
        var table = new Table().AddColumns("", "layer", "check", "result");
        foreach (var check in checks)
            table.AddRow(check.Skipped ? "[grey]-[/]" : check.Passed ? "[green]✓[/]" : "[red]✗[/]", check.Layer.ToString(),
                Markup.Escape(check.Name), Markup.Escape(check.Detail));
        output.Out.Write(table);
        var broken = VerifyCheck.FirstBroken(checks);
        if (broken is null)
        {
            output.Success($"all {checks.Count(c => !c.Skipped)} checks passed");
            return ExitCodes.Ok;
        }
        output.Problem($"{checks.Count(c => !c.Passed)} check(s) failed. Lowest broken layer: {broken.Layer} ({broken.Name}: {broken.Detail})");
        output.Line($"Look further: {broken.LookFurther}");
        return ExitCodes.VerifyFailed;
    }
}
