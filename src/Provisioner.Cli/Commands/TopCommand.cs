using System.CommandLine;
using System.Globalization;
using Provisioner.Host.Processes;
using Provisioner.Observability.Metrics;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Provisioner.Cli.Commands;

/// <summary>
/// <c>netlab top</c>: the figures <c>netlab metrics</c> serves, as a live terminal view for a learner without
/// Prometheus: connections per service and endpoint, conntrack and retransmits per node, traffic per pod and tunnel.
/// </summary>
public static class TopCommand
{
    public static Command Create()
    {
        var stack = StackOptions.Stack();
        var once = new Option<bool>("--once") { Description = "Print the figures once and exit (no live view)" };
        var interval = new Option<double>("--interval")
        {
            Description = "Seconds between refreshes",
            DefaultValueFactory = _ => 2,
            HelpName = "SECONDS",
        };
        var command = new Command("top", "A live view of the lab's counters: services, endpoints, conntrack, retransmits, interfaces") { stack, once, interval };
        command.SetAction(async (parseResult, ct) =>
        {
            var output = CliOutput.For(parseResult);
            return await CommandErrors.UntilStoppedAsync(output, async () =>
            {
                var seconds = parseResult.GetValue(interval);
                if (seconds is < 0.2 or > 3600)
                {
                    output.Problem($"--interval {seconds.ToString(CultureInfo.InvariantCulture)} is out of range. Fix: between 0.2 and 3600 seconds");
                    return ExitCodes.Failed;
                }
                var session = LabSession.Open(parseResult.GetRequiredValue(stack));
                var sampler = new LabSampler(ProcessRunner.Default);
                var sample = await sampler.SampleAsync(MetricsCommand.Targets(session), ct);
                if (parseResult.GetValue(once))
                {
                    output.Out.Write(Render(sample, null));
                    return ExitCodes.Ok;
                }
                await output.Out.Live(Render(sample, null)).StartAsync(async live =>
                {
                    while (!ct.IsCancellationRequested)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
                        var next = await sampler.SampleAsync(MetricsCommand.Targets(session), ct);
                        live.UpdateTarget(Render(next, sample));
                        sample = next;
                    }
                });
                return ExitCodes.Ok;
            }, ct);
        });
        return command;
    }

    /// <summary>Tables of one sample; with the previous sample, rates per second beside the totals.</summary>
    internal static IRenderable Render(LabSample sample, LabSample? previous)
    {
        var rate = new Rates(sample, previous);
        var services = new Table().Title("services (new connections, from the dispatch rules)").AddColumns("service", "frontend", "node", "connections", "/s");
        foreach (var s in sample.Rules.SelectMany(r => r.Services).OrderBy(s => s.Service, StringComparer.Ordinal).ThenBy(s => s.Node, StringComparer.Ordinal))
            services.AddRow(E(s.Service), E(s.Frontend), E(s.Node), N(s.Packets), rate.Of($"svc {s.Node} {s.Rule}", s.Packets));
        var endpoints = new Table().Title("endpoints (connections each DNAT rule chose)").AddColumns("service", "endpoint", "pod", "node", "hits", "/s");
        foreach (var e in sample.Rules.SelectMany(r => r.Endpoints).OrderBy(e => e.Service, StringComparer.Ordinal).ThenBy(e => e.Endpoint, StringComparer.Ordinal))
            endpoints.AddRow(E(e.Service), E(e.Endpoint), E(sample.Targets.PodAt(e.Endpoint.Split(':')[0])), E(e.Node), N(e.Packets), rate.Of($"ep {e.Node} {e.Rule}", e.Packets));
        var spaces = new Table().Title("namespaces (conntrack, TCP retransmits, interfaces)")
            .AddColumns("namespace", "role", "conntrack", "retransmits", "interface", "rx bytes", "rx/s", "tx bytes", "tx/s", "drops");
        var tunnels = sample.Rules.Join(sample.Targets.Nodes, r => r.Node, n => n.Name, (r, n) => (n.Netns, r.OvsTunnels))
            .ToDictionary(t => t.Netns, t => t.OvsTunnels, StringComparer.Ordinal);
        foreach (var ns in sample.Namespaces.OrderBy(n => n.Namespace.Role).ThenBy(n => n.Namespace.Netns, StringComparer.Ordinal))
        {
            var first = true;
            foreach (var link in ns.Interfaces.Concat(tunnels.GetValueOrDefault(ns.Namespace.Netns) ?? []).DefaultIfEmpty())
            {
                var key = $"{ns.Namespace.Netns} {link?.Name}";
                spaces.AddRow(first ? E(ns.Namespace.Netns) : "", first ? ns.Namespace.Role.ToString().ToLowerInvariant() : "",
                    first ? N(ns.ConntrackEntries) : "", first ? N(ns.TcpRetransmits) : "", E(link?.Name ?? "-"),
                    N(link?.ReceiveBytes), link is null ? "" : rate.Of("rx " + key, link.ReceiveBytes),
                    N(link?.TransmitBytes), link is null ? "" : rate.Of("tx " + key, link.TransmitBytes),
                    N(link is null ? null : link.ReceiveDrops + link.TransmitDrops));
                first = false;
            }
        }
        IRenderable problems = sample.Problems.Count == 0 ? new Text("")
            : new Markup("[red]" + E(string.Join("\n", sample.Problems)) + "[/]");
        var uncounted = sample.Rules.Where(r => !r.Counted).Select(r => r.Node).ToList();
        var note = uncounted.Count == 0 ? new Text("")
            : new Text($"no rule counters on {string.Join(", ", uncounted)} (nftables maps without the counter flag, or no rules yet)");
        return new Rows(new Text($"lab {sample.Targets.Lab}: read in {sample.Duration.TotalMilliseconds:0} ms"), services, endpoints, spaces, note, problems);
    }

    private static string E(string text) => Markup.Escape(text);

    private static string N(long? value) => value?.ToString("N0", CultureInfo.InvariantCulture) ?? "-";

    /// <summary>Per-second rates between two samples, by a key naming the counter.</summary>
    private sealed class Rates(LabSample sample, LabSample? previous)
    {
        private readonly Dictionary<string, long> _before = previous is null ? [] : Index(previous);
        private readonly double _seconds = previous is null ? 0 : Math.Max(0.001, (sample.Taken - previous.Taken).TotalSeconds);

        public string Of(string key, long now) =>
            _seconds > 0 && _before.TryGetValue(key, out var before) && now >= before ? ((now - before) / _seconds).ToString("N1", CultureInfo.InvariantCulture) : "";

        private static Dictionary<string, long> Index(LabSample s)
        {
            var index = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var r in s.Rules)
            {
                foreach (var svc in r.Services)
                    index[$"svc {svc.Node} {svc.Rule}"] = svc.Packets;
                foreach (var ep in r.Endpoints)
                    index[$"ep {ep.Node} {ep.Rule}"] = ep.Packets;
            }
            foreach (var ns in s.Namespaces)
            {
                foreach (var link in ns.Interfaces)
                {
                    index[$"rx {ns.Namespace.Netns} {link.Name}"] = link.ReceiveBytes;
                    index[$"tx {ns.Namespace.Netns} {link.Name}"] = link.TransmitBytes;
                }
            }
            return index;
        }
    }
}
