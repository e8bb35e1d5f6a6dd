using System.CommandLine;
using Provisioner.Core.Config;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;

namespace Provisioner.Cli.Commands;

/// <summary><c>netlab validate [--stack FILE]</c>: every problem of a stack at once, each with its key, value and fix.</summary>
public static class ValidateCommand
{
    public static Command Create()
    {
        var stack = StackOptions.Stack();
        var command = new Command("validate", "Check a stack file and report every problem at once (nothing is created)") { stack };
        command.SetAction(parseResult => Run(CliOutput.For(parseResult), parseResult.GetRequiredValue(stack)));
        return command;
    }

    private static int Run(CliOutput output, FileInfo stackFile)
    {
        try
        {
            var plan = LabPlan.For(StackFile.Load(stackFile.FullName));
            var lab = plan.Lab;
            output.Success($"{stackFile.Name} is valid: lab '{lab.Name}' on {EnumNames.Of(lab.Backend)}, " +
                $"{lab.Nodes.Length} node(s) ({string.Join(", ", lab.Nodes.Select(n => $"{n.Name} {EnumNames.Of(n.Role)}"))}), " +
                $"fabric {EnumNames.Of(lab.Network.Fabric)}, pods {lab.Network.PodCidr}, services {lab.Network.ServiceCidr}, " +
                $"{plan.Steps.Length} steps");
            return ExitCodes.Ok;
        }
        catch (Exception e)
        {
            return CommandErrors.Report(output, e);
        }
    }
}
