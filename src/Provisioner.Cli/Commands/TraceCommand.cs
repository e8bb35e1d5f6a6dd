using System.CommandLine;
using Provisioner.Host.Processes;
using Provisioner.Observability;

namespace Provisioner.Cli.Commands;

/// <summary><c>netlab trace drops|retransmits</c>: netlab's bpftrace scripts, with drop reasons and namespaces named.</summary>
public static class TraceCommand
{
    public static Command Create()
    {
        var what = new Argument<TraceScript>("what") { Description = "drops (every packet the kernel drops, with the reason) or retransmits (TCP)", HelpName = "drops|retransmits" };
        var command = new Command("trace", "Trace packet drops or TCP retransmits with bpftrace (Ctrl-C to stop)") { what };
        command.SetAction(async (parseResult, ct) =>
        {
            var output = CliOutput.For(parseResult);
            try
            {
                return await new Tracer(ProcessRunner.Default).RunAsync(parseResult.GetRequiredValue(what), output.Line, ct);
            }
            catch (OperationCanceledException)
            {
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
