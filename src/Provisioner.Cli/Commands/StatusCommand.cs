using System.CommandLine;
using Provisioner.Netns;
using Provisioner.Netns.Pods;
using Provisioner.VmLab.Status;
using Spectre.Console;

namespace Provisioner.Cli.Commands;

/// <summary><c>netlab status</c>: nodes, pods with their addresses, services with ClusterIP/NodePort and endpoints.</summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var stack = StackOptions.Stack();
        var backend = VmLabSession.Backend();
        var command = new Command("status", "Show the lab's nodes, pods and services") { stack, backend };
        command.SetAction(async (parseResult, ct) =>
        {
            var output = CliOutput.For(parseResult);
            try
            {
                var stackFile = parseResult.GetRequiredValue(stack);
                if (VmLabSession.Choose(stackFile, parseResult.GetValue(backend)) is { } vmLab)
                    VmStatusOutput.Print(output, await VmLabStatus.ReadAsync(vmLab, VmLabSession.Probes(vmLab), ct));
                else
                    Print(output, LabSession.Open(stackFile));
                return ExitCodes.Ok;
            }
            catch (Exception e)
            {
                return CommandErrors.Report(output, e);
            }
        });
        return command;
    }

    /// <param name="maxServices">Rows of the services table (<c>up</c> shows a few; <c>status</c> all).</param>
    internal static void Print(CliOutput output, LabSession session, int maxServices = int.MaxValue)
    {
        var supervisor = new PodSupervisor(session.Lab.Layout, session.Options.NetlabCommand);
        var status = LabStatus.Read(session.Plan, session.Lab.Layout, session.PodAddress, supervisor.RunningPid, maxServices);

        var nodes = new Table().AddColumns("node", "role", "namespace", "underlay", "pod subnet");
        foreach (var n in status.Nodes)
            nodes.AddRow(Esc(n.Name), n.Role, Esc(n.Exists ? n.Namespace : n.Namespace + " (missing)"), n.UnderlayAddress.ToString(), n.PodSubnet);
        output.Out.Write(nodes);

        var pods = new Table().AddColumns("pod", "node", "address", "server");
        foreach (var p in status.Pods)
            pods.AddRow(Esc(p.Name), Esc(p.Node), p.Address ?? (p.Exists ? "-" : "(missing)"), Server(p, session.Lab.Layout));
        output.Out.Write(pods);

        var services = new Table().AddColumns("service", "type", "cluster IP", "external IP", "ports", "endpoints");
        foreach (var s in status.Services)
        {
            var endpoints = s.Note ?? (s.Endpoints.Count == 0 ? "none (connections are refused)"
                : string.Join(", ", s.Endpoints.Select(e => $"{e.Pod} {e.Address ?? "?"}:{e.Port}").Distinct(StringComparer.Ordinal)));
            var name = s.Namespace == "default" ? s.Name : $"{s.Namespace}/{s.Name}";
            services.AddRow(Esc(name), s.Type.ToString(), s.ClusterIP ?? "-", Esc(s.ExternalIP ?? "-"), string.Join(" ", s.Ports), Esc(endpoints));
        }
        output.Out.Write(services);
        var total = session.Plan.Addresses.Services.Length;
        if (total > maxServices)
            output.Line($"... and {total - maxServices} more services (sudo netlab status lists them all)");
    }

    /// <summary>The pod's server: netlab's pod server, or for the cluster DNS pod the dnsmasq it runs instead.</summary>
    private static string Server(PodStatus pod, LabLayout layout) =>
        pod.Name == Provisioner.Core.Planning.ClusterDns.PodName
            ? Provisioner.Netns.Dns.ClusterDnsLayer.RunningPid(layout) is { } dns ? $"dnsmasq, pid {dns}" : "dnsmasq not running"
            : pod.ServerPid is { } pid ? $"pid {pid}" : "not running";

    private static string Esc(string text) => Markup.Escape(text);
}
