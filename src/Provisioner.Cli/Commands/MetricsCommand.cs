using System.CommandLine;
using System.Net;
using Provisioner.Host.Processes;
using Provisioner.Observability;
using Provisioner.Observability.Metrics;

namespace Provisioner.Cli.Commands;

/// <summary>
/// <c>netlab metrics</c>: serves the running lab's counters for Prometheus (service rules, endpoints, conntrack,
/// TCP retransmits, interfaces; kernel drops by reason with <c>--trace-drops</c>) until Ctrl-C.
/// </summary>
public static class MetricsCommand
{
    public const string DefaultListen = "127.0.0.1:9108";

    public static Command Create()
    {
        var stack = StackOptions.Stack();
        var listen = new Option<string>("--listen")
        {
            Description = "Address and port to serve /metrics on",
            DefaultValueFactory = _ => DefaultListen,
            HelpName = "ADDRESS:PORT",
        };
        var traceDrops = new Option<bool>("--trace-drops")
        {
            Description = "Also count kernel packet drops by reason with bpftrace (seconds of CPU to start, ~100 MB)",
        };
        var command = new Command("metrics", "Serve the lab's counters as Prometheus metrics (Ctrl-C to stop)") { stack, listen, traceDrops };
        command.SetAction(async (parseResult, ct) =>
        {
            var output = CliOutput.For(parseResult);
            return await CommandErrors.UntilStoppedAsync(output, async () =>
            {
                var endpoint = ParseListen(parseResult.GetRequiredValue(listen));
                var session = LabSession.Open(parseResult.GetRequiredValue(stack));
                await using var drops = parseResult.GetValue(traceDrops) ? new DropMonitor(ProcessRunner.Default) : null;
                if (drops is not null)
                    await drops.StartAsync(ct);
                await using var exporter = new MetricsExporter(() => Targets(session), new LabSampler(ProcessRunner.Default), drops,
                    problem => output.Problem(problem));
                exporter.Serve(endpoint);
                output.Line($"netlab metrics: lab '{session.Plan.Lab.Name}' on http://{endpoint}/metrics" +
                            (drops is null ? "" : " (with kernel drops by reason)") + ". Ctrl-C to stop.");
                await Task.Delay(Timeout.Infinite, ct);
                return ExitCodes.Ok;
            }, ct);
        });
        return command;
    }

    internal static LabTargets Targets(LabSession session) => NetnsTargets.Build(session.Plan, session.Lab.Layout, session.PodAddress);

    internal static IPEndPoint ParseListen(string text) =>
        IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0
            ? endpoint
            : throw new LabInputException($"--listen '{text}' is not ADDRESS:PORT. Fix: e.g. --listen {DefaultListen}");
}
