using Spectre.Console;
using Provisioner.Core.Validation;
using Provisioner.Fabric;
using Provisioner.Host.Processes;
using Provisioner.Multipass;
using Provisioner.Netns;
using Provisioner.Netns.Cni;
using Provisioner.ServiceRules.Validation;
using Provisioner.Rendering.Templates;

namespace Provisioner.Cli.Commands;

/// <summary>Turns the errors commands expect into what the learner reads and the exit code, in one place.</summary>
public static class CommandErrors
{
    public static int Report(CliOutput output, Exception error)
    {
        switch (error)
        {
            case LabConfigException config:
                if (config.Problems.Count == 0)
                    output.Problem(config.Message);
                foreach (var problem in config.Problems)
                    output.Problem(problem.ToString());
                output.Error.WriteLine($"{Math.Max(1, config.Problems.Count)} problem(s); nothing was created.");
                return ExitCodes.InvalidStack;
            case TemplateException template:
                foreach (var diagnostic in template.Diagnostics)
                    output.Problem(diagnostic.ToString());
                return ExitCodes.TemplateError;
            case PreflightException or StepFailedException or CommandFailedException or ToolMissingException or FabricException
                or CniException or InvalidServiceTableException or MultipassException or Observability.LabInputException:
                output.Problem(error.Message);
                return ExitCodes.Failed;
            case IOException or UnauthorizedAccessException:
                output.Problem(error.Message);
                return ExitCodes.Failed;
            default:
                throw error;
        }
    }
}
