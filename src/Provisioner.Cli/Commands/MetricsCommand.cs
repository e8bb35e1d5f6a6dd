using System.CommandLine;
using System.Net;
using Provisioner.Host.Processes;
using Provisioner.Observability;
using Provisioner.Observability.Metrics;

namespace Provisioner.Cli.Commands;

/// <summary>
/// <c>netlab metrics</c>: serves the running lab's counters for Prometheus (service rules, endpoints, conntrack,
/// TCP retransmits, interfaces; kernel drops by reason with <c>--trace-drops</c>) until Ctrl-C. With <c>--node NAME</c>
/// it serves the node it runs on instead (the VM lab's nodes run it so, beside netlab-proxy): its own namespace and
/// rules, no stack file read.
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
        var node = new Option<string?>("--node")
        {
            Description = "Serve only the node this runs on, under this name: its own network namespace and rules (a VM node; no stack file is read)",
            HelpName = "NAME",
        };
        var netns = new Option<string?>("--namespace")
        {
            Description = "With --node: the namespace label of its series (default: the host name, LAB-NODE on a VM as in the netns lab)",
            HelpName = "LABEL",
        };
        var mode = new Option<string>("--proxy-mode")
        {
            Description = "With --node: the node's service rule backend, as netlab-proxy's", DefaultValueFactory = _ => "iptables", HelpName = "iptables|nftables",
        };
        mode.AcceptOnlyFromAmong("iptables", "nftables");
        var ovsDb = new Option<string?>("--ovs-db")
        {
            Description = $"With --node: read the OVS tunnel ports from this database socket, once it exists (the VM lab's OVS: {NodeTargets.SystemOvsDbSocket})",
            HelpName = "SOCKET",
        };
        var command = new Command("metrics", "Serve the lab's counters as Prometheus metrics (Ctrl-C to stop)") { stack, listen, traceDrops, node, netns, mode, ovsDb };
        command.Subcommands.Add(MetricsTargetsCommand.Create());
        command.SetAction(async (parseResult, ct) =>
        {
            var output = CliOutput.For(parseResult);
            return await CommandErrors.UntilStoppedAsync(output, async () =>
            {
                var endpoint = ParseListen(parseResult.GetRequiredValue(listen));
                var (targets, what) = parseResult.GetValue(node) is { } name
                    ? NodeMode(name, parseResult.GetValue(netns), parseResult.GetRequiredValue(mode), parseResult.GetValue(ovsDb))
                    : LabMode(LabSession.Open(parseResult.GetRequiredValue(stack)));
                await using var drops = parseResult.GetValue(traceDrops) ? new DropMonitor(ProcessRunner.Default) : null;
                if (drops is not null)
                    await drops.StartAsync(ct);
                await using var exporter = new MetricsExporter(targets, new LabSampler(ProcessRunner.Default), drops,
                    problem => output.Problem(problem));
                exporter.Serve(endpoint);
                output.Line($"netlab metrics: {what} on http://{endpoint}/metrics" +
                            (drops is null ? "" : " (with kernel drops by reason)") + ". Ctrl-C to stop.");
                await Task.Delay(Timeout.Infinite, ct);
                return ExitCodes.Ok;
            }, ct);
        });
        return command;
    }

    private static (Func<LabTargets> Targets, string What) LabMode(LabSession session) => (() => Targets(session), $"lab '{session.Plan.Lab.Name}'");

    private static (Func<LabTargets> Targets, string What) NodeMode(string node, string? netns, string mode, string? ovsDb)
    {
        if (node.Trim().Length == 0)
            throw new LabInputException("--node is empty. Fix: give the node's name in the lab, e.g. --node worker1");
        var label = netns ?? Environment.MachineName;
        var targets = NodeTargets.Build(node, label, mode == "nftables" ? ServiceRules.Applying.RuleBackend.Nftables : ServiceRules.Applying.RuleBackend.Iptables, ovsDb);
        return (() => targets, $"node '{node}' (namespace {label})");
    }

    internal static LabTargets Targets(LabSession session) => NetnsTargets.Build(session.Plan, session.Lab.Layout, session.PodAddress);

    internal static IPEndPoint ParseListen(string text) =>
        IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0
            ? endpoint
            : throw new LabInputException($"--listen '{text}' is not ADDRESS:PORT. Fix: e.g. --listen {DefaultListen}");
}
