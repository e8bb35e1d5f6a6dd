using System.CommandLine;
using System.Net;
using Provisioner.ServiceRules.Explain;
using Provisioner.ServiceRules.Sources;

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
        var command = new Command("explain", "Show the rule path of a service as iptables-save / nft list ruleset print it") { stack, service, port, node };
        command.SetAction(parseResult =>
        {
            var output = CliOutput.For(parseResult);
            try
            {
                var session = LabSession.Open(parseResult.GetRequiredValue(stack));
                var plan = session.Plan;
                var name = parseResult.GetRequiredValue(service);
                var (ns, svc) = name.Contains('/', StringComparison.Ordinal) ? (name.Split('/')[0], name.Split('/')[1]) : ("default", name);
                if (!plan.Lab.Services.Any(s => s.Name == svc && s.Namespace == ns))
                {
                    output.Problem($"no service '{ns}/{svc}' in the stack (services: {string.Join(", ", plan.Lab.Services.Select(s => s.Name))})");
                    return ExitCodes.Failed;
                }
                var nodeName = parseResult.GetValue(node) ?? plan.Lab.Nodes[0].Name;
                var table = StackServiceTable.Build(plan, pod => session.PodAddress(pod) is { } a ? IPAddress.Parse(a) : null);
                var context = StackServiceTable.Node(plan, nodeName, plan.Addresses.Node(nodeName).UnderlayAddress);
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
}
