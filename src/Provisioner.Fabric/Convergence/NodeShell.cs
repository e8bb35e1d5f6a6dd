using Provisioner.Host.Processes;

namespace Provisioner.Fabric.Convergence;

/// <summary>Runs fabric commands in a target (entering its namespace), each bounded in time.</summary>
internal sealed class NodeShell(ProcessRunner runner, FabricTarget target, TimeSpan timeout)
{
    public FabricTarget Target => target;

    /// <summary>Runs a command; a failure throws <see cref="CommandFailedException"/> unless the command may fail.</summary>
    public async Task<CommandResult> RunAsync(FabricCommand command, CancellationToken cancellationToken)
    {
        var argv = command.Argv(target);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            return command.MayFail
                ? await runner.TryRunAsync(argv[0], argv[1..], command.Stdin, cancellationToken: bounded.Token).ConfigureAwait(false)
                : await runner.RunAsync(argv[0], argv[1..], command.Stdin, cancellationToken: bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CommandFailedException($"'{command.Render(target)}' did not finish within {timeout.TotalSeconds:0} s");
        }
    }

    public async Task<string> CaptureAsync(FabricCommand command, CancellationToken cancellationToken) =>
        (await RunAsync(command, cancellationToken).ConfigureAwait(false)).StandardOutput;
}
