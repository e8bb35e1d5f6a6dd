using System.CommandLine;
using System.Net;
using Provisioner.Observability.Metrics;
using Provisioner.VmLab.Cluster;

namespace Provisioner.Cli.Commands;

/// <summary>
/// <c>netlab metrics targets</c>: Prometheus file_sd targets of the node exporters, one per node at its address and
/// <c>network.exporterBindAddress</c>'s port. The VM lab's addresses are its Nodes' InternalIPs (kubectl, with the
/// kubeconfig <c>pulumi up</c> wrote); the netns lab's are the nodes' underlay addresses (reachable from its outside
/// namespace, where a node exporter started with <c>ip netns exec NODE netlab metrics --node</c> is scraped).
/// </summary>
public static class MetricsTargetsCommand
{
    public static Command Create()
    {
        var stack = StackOptions.Stack();
        var backend = VmLabSession.Backend();
        var file = new Option<FileInfo?>("--out") { Description = "Write the targets to this file (for file_sd_configs) instead of printing them", HelpName = "FILE" };
        var command = new Command("targets", "Print the node exporters' Prometheus file_sd targets (one per node)") { stack, backend, file };
        command.SetAction(async (parseResult, ct) =>
        {
            var output = CliOutput.For(parseResult);
            try
            {
                var stackFile = parseResult.GetRequiredValue(stack);
                string lab;
                int port;
                IReadOnlyList<ScrapeTarget> targets;
                if (VmLabSession.Choose(stackFile, parseResult.GetValue(backend)) is { } vmLab)
                {
                    var nodes = ClusterState.Nodes(await new Kubectl(Host.Processes.ProcessRunner.Default, vmLab.Kubeconfig).GetJsonAsync("nodes", ct: ct));
                    (lab, port) = (vmLab.Lab.Name, Port(vmLab.Lab.Network.ExporterBindAddress));
                    targets = [.. vmLab.Nodes.Select(n => new ScrapeTarget(n.Name, nodes.FirstOrDefault(k => k.Name == n.Vm)?.InternalIP
                        ?? throw new InvalidOperationException($"node {n.Vm} has no InternalIP in the cluster. Fix: check 'kubectl get nodes -o wide' (did it join?)")))];
                }
                else
                {
                    var plan = LabSession.Open(stackFile).Plan;
                    (lab, port) = (plan.Lab.Name, Port(plan.Lab.Network.ExporterBindAddress));
                    targets = [.. plan.Addresses.Nodes.Select(n => new ScrapeTarget(n.Node.Name, n.UnderlayAddress.ToString()))];
                }
                var json = ScrapeTargets.FileSd(lab, port, targets);
                if (parseResult.GetValue(file) is { } path)
                {
                    var temporary = path.FullName + ".tmp";
                    await File.WriteAllTextAsync(temporary, json, ct);
                    File.Move(temporary, path.FullName, overwrite: true); // Prometheus never reads half a file
                    output.Success($"{targets.Count} node exporters of lab '{lab}' written to {path.FullName}");
                }
                else
                {
                    foreach (var line in json.TrimEnd('\n').Split('\n'))
                        output.Line(line);
                }
                return ExitCodes.Ok;
            }
            catch (Exception e)
            {
                return CommandErrors.Report(output, e);
            }
        });
        return command;
    }

    /// <summary>The port of a validated ADDRESS:PORT.</summary>
    private static int Port(string bindAddress) => IPEndPoint.Parse(bindAddress).Port;
}
