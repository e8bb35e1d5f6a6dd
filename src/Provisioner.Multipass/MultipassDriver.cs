using Provisioner.Host.Processes;

namespace Provisioner.Multipass;

/// <summary>
/// Runs Multipass: launch, info, exec, transfer, delete. Arguments are lists (see <c>*Arguments</c>), exit codes are
/// checked and stderr is in the error; a missing <c>multipass</c> program or a VM without an address says how to fix it.
/// </summary>
public sealed partial class MultipassDriver
{
    private readonly ProcessRunner _runner;
    private readonly string _program;
    private readonly TimeSpan _pollInterval;

    /// <param name="program">The multipass executable (tests pass a fake).</param>
    /// <param name="pollInterval">How often <see cref="WaitForAddressAsync"/> asks Multipass.</param>
    public MultipassDriver(ProcessRunner? runner = null, string program = Program, TimeSpan? pollInterval = null)
    {
        _runner = runner ?? ProcessRunner.Default;
        _program = program;
        _pollInterval = pollInterval ?? TimeSpan.FromSeconds(2);
    }

    public Task LaunchAsync(LaunchSpec spec, CancellationToken cancellationToken = default) =>
        RunAsync(LaunchArguments(spec), cancellationToken: cancellationToken,
            hint: $"see 'multipass info {spec.Name}' and, inside the VM, /var/log/cloud-init-output.log; a name already in use needs 'multipass delete --purge {spec.Name}' first");

    /// <summary>The VM's description, or null when Multipass has no VM of that name.</summary>
    public async Task<MultipassInstance?> InfoAsync(string name, CancellationToken cancellationToken = default)
    {
        var result = await TryRunAsync(InfoArguments(name), cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            if (IsNoSuchInstance(result.StandardError))
                return null;
            throw new CommandFailedException(CommandLine(InfoArguments(name)), result.ExitCode, result.StandardError);
        }
        return MultipassInstance.ParseInfo(result.StandardOutput).FirstOrDefault(i => i.Name == name);
    }

    /// <summary>Runs a command in the VM (as its default user; put <c>sudo</c> first for root). Throws on a non-zero exit.</summary>
    public Task<CommandResult> ExecAsync(string name, IEnumerable<string> command, string? stdin = null, CancellationToken cancellationToken = default) =>
        RunAsync(ExecArguments(name, command), stdin, cancellationToken: cancellationToken);

    public Task TransferAsync(string localPath, string name, string remotePath, CancellationToken cancellationToken = default) =>
        RunAsync(TransferArguments(localPath, name, remotePath), cancellationToken: cancellationToken);

    public Task TransferFromAsync(string name, string remotePath, string localPath, CancellationToken cancellationToken = default) =>
        RunAsync(TransferFromArguments(name, remotePath, localPath), cancellationToken: cancellationToken);

    /// <summary>Installs a local file at <paramref name="nodePath"/> on the VM, owned by root, with a mode like <c>0755</c>.</summary>
    public async Task InstallFileAsync(string name, string localPath, string nodePath, string octalMode, CancellationToken cancellationToken = default)
    {
        foreach (var arguments in InstallFileArguments(name, localPath, nodePath, octalMode))
            await RunAsync(arguments, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes and purges exactly this VM. A VM that does not exist is already deleted: not an error.</summary>
    public async Task DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        var result = await TryRunAsync(DeleteArguments(name), cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded && !IsNoSuchInstance(result.StandardError))
            throw new CommandFailedException(CommandLine(DeleteArguments(name)), result.ExitCode, result.StandardError);
    }

    /// <summary>
    /// Waits until the VM runs and has an IPv4 address, then chooses its node address (see <see cref="NodeAddress.Choose"/>).
    /// A VM that never gets one fails with what to check.
    /// </summary>
    public async Task<NodeAddress> WaitForAddressAsync(string name, string? nodeCidr, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        MultipassInstance? last = null;
        while (true)
        {
            last = await InfoAsync(name, cancellationToken).ConfigureAwait(false)
                ?? throw new MultipassException($"there is no VM named '{name}'", $"launch it first (multipass list shows the VMs)");
            if (last.IsRunning && !last.IPv4.IsEmpty)
                return NodeAddress.Choose(last, nodeCidr);
            if (DateTimeOffset.UtcNow >= deadline)
                break;
            await Task.Delay(_pollInterval, cancellationToken).ConfigureAwait(false);
        }
        throw new MultipassException(
            $"VM '{name}' has no IPv4 address after {timeout.TotalSeconds:0} s (state: {last.State})",
            $"check 'multipass info {name}'; start it with 'multipass start {name}' if it is stopped; if it runs without an address, " +
            "restart Multipass (Linux: 'sudo snap restart multipass') and check that no VPN or firewall blocks Multipass's network");
    }

    private async Task<CommandResult> RunAsync(IReadOnlyList<string> arguments, string? stdin = null, string? hint = null, CancellationToken cancellationToken = default)
    {
        var result = await TryRunAsync(arguments, cancellationToken, stdin).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new CommandFailedException(CommandLine(arguments), result.ExitCode, result.StandardError, hint);
        return result;
    }

    private async Task<CommandResult> TryRunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken, string? stdin = null)
    {
        try
        {
            return await _runner.TryRunAsync(_program, arguments, stdin, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ToolMissingException e)
        {
            throw new MultipassException($"'{_program}' was not found: netlab builds VM labs with Multipass", MultipassException.InstallFix, e);
        }
    }

    /// <summary>Multipass says <c>instance "NAME" does not exist</c> (exit code 2) for an unknown name.</summary>
    private static bool IsNoSuchInstance(string stderr) => stderr.Contains("does not exist", StringComparison.OrdinalIgnoreCase);
}
