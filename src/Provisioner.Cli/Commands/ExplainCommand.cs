using System.CommandLine;
using System.Net;
using Provisioner.Core.Planning;
using Provisioner.ServiceRules.Explain;
using Provisioner.ServiceRules.Sources;
using Provisioner.VmLab;
using Provisioner.VmLab.Status;
using Provisioner.StackRules;

namespace Provisioner.Cli.Commands;

/// <summary><c>netlab explain SERVICE</c>: the chain path a packet to the service takes, with each endpoint's probability.</summary>
public static class ExplainCommand
{
    public static Command Create()
    {
        var stack = StackOptions.Stack();
        var service = new Argument<string>("service") { Description = "The service's name (or namespace/name)" };
        var port = new Option<string?>("--port") { Description = "Only this named port", HelpName = "NAME" };
        var node = new Option<string?>("--node") { Description = "Explain the rules of this node (default: the first)", HelpName = "NODE" };
        var backend = VmLabSession.Backend();
        var command = new Command("explain", "Show the rule path of a service as iptables-save / nft list ruleset print it") { stack, service, port, node, backend };
        command.Subcommands.Add(ExplainPolicyCommand.Create());
        command.SetAction(async (parseResult, ct) =>
        {
            var output = CliOutput.For(parseResult);
            try
            {
                var stackFile = parseResult.GetRequiredValue(stack);
                var (plan, podAddress, nodeAddress) = VmLabSession.Choose(stackFile, parseResult.GetValue(backend)) is { } vmLab
                    ? await VmAddressesAsync(vmLab, ct)
                    : NetnsAddresses(LabSession.Open(stackFile));
                var name = parseResult.GetRequiredValue(service);
                var (ns, svc) = name.Contains('/', StringComparison.Ordinal) ? (name.Split('/')[0], name.Split('/')[1]) : ("default", name);
                if (!plan.Lab.Services.Any(s => s.Name == svc && s.Namespace == ns))
                {
                    output.Problem($"no service '{ns}/{svc}' in the stack (services: {string.Join(", ", plan.Lab.Services.Select(s => s.Name))})");
                    return ExitCodes.Failed;
                }
                var nodeName = parseResult.GetValue(node) ?? plan.Lab.Nodes[0].Name;
                var table = StackServiceTable.Build(plan, pod => podAddress(pod) is { } a ? IPAddress.Parse(a) : null);
                var context = StackServiceTable.Node(plan, nodeName, nodeAddress(nodeName));
                output.Line(ServiceExplainer.Explain(table, context, ns, svc, parseResult.GetValue(port), StackServiceTable.Backend(plan.Lab.Network.ServiceRules)));
                return ExitCodes.Ok;
            }
            catch (Exception e)
            {
                return CommandErrors.Report(output, e);
            }
        });
        return command;
    }

    private static (LabPlan, Func<string, string?>, Func<string, IPAddress>) NetnsAddresses(LabSession session) =>
        (session.Plan, session.PodAddress, n => session.Plan.Addresses.Node(n).UnderlayAddress);

    /// <summary>On the VM lab, the endpoints are the pods' addresses on the cluster and the node's address is its VM's.</summary>
    private static async Task<(LabPlan, Func<string, string?>, Func<string, IPAddress>)> VmAddressesAsync(VmLabTarget lab, CancellationToken ct)
    {
        var status = await VmLabStatus.ReadAsync(lab, VmLabSession.Probes(lab), ct);
        return (lab.Plan, pod => status.Pods.FirstOrDefault(p => p.Name == pod)?.Pod is { Ready: true } p ? p.Address : null,
            n => status.Nodes.FirstOrDefault(s => s.Node.Name == n)?.Address is { } a ? IPAddress.Parse(a) : lab.Plan.Addresses.Node(n).UnderlayAddress);
    }
}
