using Spectre.Console;
using Provisioner.Core.Validation;
using Provisioner.Errors;
using Provisioner.Rendering.Templates;

namespace Provisioner.Cli.Commands;

/// <summary>
/// Turns the errors commands expect into what the learner reads and the exit code, in one place: every command's
/// action ends in <see cref="Report"/>. A <see cref="NetlabException"/> prints its message and fix; the few .NET
/// exceptions that carry a learner's mistake (a file that cannot be read or written, a malformed document, a bad
/// kubeconfig, a port in use) print their message. Anything else is a bug and keeps its stack trace.
/// </summary>
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
            case NetlabException netlab:
                output.Problem(WithFix(netlab));
                return ExitCodes.Failed;
            case IOException or UnauthorizedAccessException or InvalidDataException or k8s.Exceptions.KubeConfigException
                or System.Net.HttpListenerException:
                output.Problem(error.Message);
                return ExitCodes.Failed;
            default:
                throw error;
        }
    }

    /// <summary>
    /// Runs a command that lasts until Ctrl-C (proxy, metrics, top, trace): the user's cancel ends it with success, any
    /// other cancellation (an internal timeout) or error is reported through <see cref="Report"/>.
    /// </summary>
    public static async Task<int> UntilStoppedAsync(CliOutput output, Func<Task<int>> run, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        try
        {
            return await run().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
        catch (Exception e)
        {
            return Report(output, e);
        }
    }

    /// <summary>The message, then the fix on a line of its own unless the message already says it.</summary>
    public static string WithFix(NetlabException error) =>
        error.Fix.Length == 0 || error.Message.Contains(error.Fix, StringComparison.Ordinal)
            ? error.Message
            : $"{error.Message}{Environment.NewLine}Fix: {error.Fix}";
}

/// <summary>What was given on the command line does not fit (an unknown step, nothing saved to re-apply); the fix says what to give.</summary>
public sealed class CommandInputException : NetlabException
{
    public CommandInputException() { }

    public CommandInputException(string message) : base(message) { }

    public CommandInputException(string message, Exception inner) : base(message, inner) { }

    public CommandInputException(string problem, string fix) : base(problem, fix, null) { }
}
