using System.CommandLine;
using System.Diagnostics;
using Provisioner.Netns;
using Provisioner.Host.Iproute;

namespace Provisioner.Cli.Commands;

/// <summary><c>netlab exec POD -- CMD...</c>: runs a command inside a pod's network namespace, attached to this terminal.</summary>
public static class ExecCommand
{
    public static Command Create()
    {
        var stack = StackOptions.Stack();
        var pod = new Argument<string>("pod") { Description = "The pod to enter" };
        var commandLine = new Argument<string[]>("command") { Description = "The command to run (after --)", Arity = ArgumentArity.OneOrMore };
        var command = new Command("exec", "Run a command inside a pod's network namespace, e.g. netlab exec client -- ip route") { stack, pod, commandLine };
        command.SetAction(async (parseResult, ct) =>
        {
            var output = CliOutput.For(parseResult);
            try
            {
                var session = LabSession.Open(parseResult.GetRequiredValue(stack));
                var name = parseResult.GetRequiredValue(pod);
                if (!session.Plan.Lab.Pods.Any(p => p.Name == name))
                {
                    output.Problem($"no pod '{name}' in the stack (pods: {string.Join(", ", session.Plan.Lab.Pods.Select(p => p.Name))})");
                    return ExitCodes.Failed;
                }
                var netns = session.Lab.Layout.PodNamespace(name);
                if (!Namespaces.Exists(netns))
                {
                    output.Problem($"pod '{name}' has no namespace {netns}: run 'sudo netlab up' first");
                    return ExitCodes.Failed;
                }
                var info = new ProcessStartInfo(NetnsExec.Ip) { UseShellExecute = false };
                foreach (var arg in NetnsExec.Command(netns, parseResult.GetRequiredValue(commandLine)))
                    info.ArgumentList.Add(arg);
                using var process = Process.Start(info)!;
                await process.WaitForExitAsync(ct);
                return process.ExitCode;
            }
            catch (Exception e)
            {
                return CommandErrors.Report(output, e);
            }
        });
        return command;
    }
}
