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
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            return await runner.TryRunAsync(program, arguments, stdin, cancellationToken: deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new CommandResult(TimedOut, "", $"'{ShellQuote.Join([program, .. arguments])}' gave no answer within {timeout.TotalSeconds:0} s");
        }
    }
}
