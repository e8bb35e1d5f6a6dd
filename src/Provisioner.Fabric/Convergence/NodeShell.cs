using Provisioner.Host.Processes;

namespace Provisioner.Fabric.Convergence;

/// <summary>Runs fabric commands in a target (entering its namespace), each bounded in time (ProcessRunner's timeout).</summary>
internal sealed class NodeShell(ProcessRunner runner, FabricTarget target, TimeSpan timeout)
{
    private readonly ProcessRunner _bounded = runner.WithTimeout(timeout);

    public FabricTarget Target => target;

    /// <summary>Runs a command; a failure throws <see cref="CommandFailedException"/> unless the command may fail
    /// (running past the limit is a <see cref="CommandTimedOutException"/> either way).</summary>
    public async Task<CommandResult> RunAsync(FabricCommand command, CancellationToken cancellationToken)
    {
        var argv = command.Argv(target);
        return command.MayFail
            ? await _bounded.TryRunAsync(argv[0], argv[1..], command.Stdin, cancellationToken: cancellationToken).ConfigureAwait(false)
            : await _bounded.RunAsync(argv[0], argv[1..], command.Stdin, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public async Task<string> CaptureAsync(FabricCommand command, CancellationToken cancellationToken) =>
        (await RunAsync(command, cancellationToken).ConfigureAwait(false)).StandardOutput;
}
