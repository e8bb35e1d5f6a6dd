using System.CommandLine;
using System.Net;
using Provisioner.Netns.Policy;
using Provisioner.StackRules;

namespace Provisioner.Cli.Commands;

/// <summary><c>netlab explain policy POD</c>: the policies that select a pod, per direction, and the rules they became.</summary>
public static class ExplainPolicyCommand
{
    public static Command Create()
    {
        var stack = StackOptions.Stack();
        var pod = new Argument<string>("pod") { Description = "The pod's name" };
        var command = new Command("policy", "Show which NetworkPolicies select a pod, in each direction, and the rules they became") { stack, pod };
        command.SetAction((parseResult, ct) =>
        {
            var output = CliOutput.For(parseResult);
            try
            {
                var session = LabSession.Open(parseResult.GetRequiredValue(stack));
                var name = parseResult.GetRequiredValue(pod);
                var spec = session.Plan.Lab.Pods.FirstOrDefault(p => p.Name == name);
                if (spec is null)
                {
                    output.Problem($"no pod '{name}' in the stack (pods: {string.Join(", ", session.Plan.Lab.Pods.Select(p => p.Name))})");
                    return Task.FromResult(ExitCodes.Failed);
                }
                var table = StackPolicyTable.Build(session.Plan.Lab, p => session.PodAddress(p) is { } a ? IPAddress.Parse(a) : null);
                output.Line(PolicyExplainer.Explain(session.Plan, spec, table));
                return Task.FromResult(ExitCodes.Ok);
            }
            catch (Exception e)
            {
                return Task.FromResult(CommandErrors.Report(output, e));
            }
        });
        return command;
    }
}
