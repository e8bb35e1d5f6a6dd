using System.CommandLine;
using Provisioner.Host.Processes;
using Provisioner.Observability;
using Provisioner.Observability.Trace;
using Spectre.Console;

namespace Provisioner.Cli.Commands;

/// <summary>
/// <c>netlab trace drops|retransmits</c>: netlab's bpftrace scripts, with drop reasons and namespaces named;
/// <c>netlab trace packet FROM TO[:PORT]</c>: one real probe and the hops it took.
/// </summary>
public static class TraceCommand
{
    public static Command Create()
    {
        var command = new Command("trace", "Trace packet drops or TCP retransmits with bpftrace (Ctrl-C to stop), or one probe's path")
        {
            Script("drops", TraceScript.Drops, "Every packet the kernel drops, with the reason and the namespace (Ctrl-C to stop)"),
            Script("retransmits", TraceScript.Retransmits, "Every TCP retransmission, with both ends and the namespace (Ctrl-C to stop)"),
            Packet(),
        };
        return command;
    }

    private static Command Script(string name, TraceScript script, string description)
    {
        var command = new Command(name, description);
        command.SetAction(async (parseResult, ct) =>
        {
            var output = CliOutput.For(parseResult);
            return await CommandErrors.UntilStoppedAsync(output, async () =>
            {
                return await new Tracer(ProcessRunner.Default).RunAsync(script, output.Line, ct);
            }, ct);
        });
        return command;
    }

    private static Command Packet()
    {
        var stack = StackOptions.Stack();
        var from = new Argument<string>("from") { Description = "A pod, or 'outside' (the client on the underlay)", HelpName = "FROM" };
        var to = new Argument<string>("to") { Description = "A pod, service, node or IP address, optionally :PORT", HelpName = "TO[:PORT]" };
        var protocol = new Option<ProbeProtocol>("--protocol") { Description = "tcp (default), udp or icmp", DefaultValueFactory = _ => ProbeProtocol.Tcp, HelpName = "tcp|udp|icmp" };
        var sourcePort = new Option<int?>("--source-port") { Description = "Send from this source port (default: a random one), to follow an existing flow", HelpName = "PORT" };
        var size = new Option<int?>("--size") { Description = "With --protocol icmp: a packet of this many bytes (IP header included), don't fragment", HelpName = "BYTES" };
        var command = new Command("packet", "Send one real probe and show the hops it took: routes, netfilter rules with verdicts, DNAT, tunnel, delivery or the kernel's drop reason")
        {
            stack, from, to, protocol, sourcePort, size,
        };
        command.SetAction(async (parseResult, ct) =>
        {
            var output = CliOutput.For(parseResult);
            try
            {
                var session = LabSession.Open(parseResult.GetRequiredValue(stack));
                var probe = ProbeSpec.Resolve(session.Plan, session.Lab.Layout, session.PodAddress,
                    parseResult.GetRequiredValue(from), parseResult.GetRequiredValue(to), parseResult.GetValue(protocol),
                    parseResult.GetValue(sourcePort) is { } port and (< 1 or > 65535) ? throw new LabInputException($"--source-port {port}: a port is 1-65535") : parseResult.GetValue(sourcePort),
                    (netns, name) => ProbeSpec.Dig(ProcessRunner.Default, netns, name));
                if (parseResult.GetValue(size) is { } bytes)
                    probe = probe.Protocol == ProbeProtocol.Icmp && bytes is >= 28 and <= 65535 ? probe with { Size = bytes }
                        : throw new LabInputException($"--size {bytes}: needs --protocol icmp and 28 to 65535 bytes");
                var trace = await new PacketTracer(session.Plan, session.Lab.Layout, ProcessRunner.Default).TraceAsync(probe, ct);
                output.Line($"probe: {probe.Describe}");
                var number = 0;
                foreach (var hop in trace.Hops)
                {
                    output.Out.MarkupLine($"[bold]{++number}. {Markup.Escape(hop.Where)}[/]: {Markup.Escape(hop.What)}");
                    foreach (var line in hop.Lines)
                        output.Line("     " + line);
                    output.Out.MarkupLine($"     [grey]look: {Markup.Escape(hop.LookWith)}[/]");
                }
                if (trace.Delivered)
                    output.Success(trace.Outcome);
                else
                    output.Problem(trace.Outcome);
                return trace.Delivered ? ExitCodes.Ok : ExitCodes.VerifyFailed;
            }
            catch (Exception e)
            {
                return CommandErrors.Report(output, e);
            }
        });
        return command;
    }
}
