using Provisioner.Host.Processes;

namespace Provisioner.VmLab.Cluster;

/// <summary>Runs a program through <see cref="ProcessRunner"/> with a deadline; running out of time is a result naming the command.</summary>
public static class TimedRun
{
    /// <summary>The exit code of a command stopped at its deadline (as <c>timeout(1)</c> reports it).</summary>
    public const int TimedOut = 124;

    public static async Task<CommandResult> TryRunAsync(ProcessRunner runner, string program, IReadOnlyList<string> arguments, TimeSpan timeout,
        string? stdin = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        try
        {
            return await runner.WithTimeout(timeout).TryRunAsync(program, arguments, stdin, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (CommandTimedOutException e)
        {
            return new CommandResult(TimedOut, "", e.Message);
        }
    }
}
