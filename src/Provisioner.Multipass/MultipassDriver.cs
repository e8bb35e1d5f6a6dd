using Provisioner.Host.Processes;

namespace Provisioner.Multipass;

/// <summary>
/// Asks Multipass about a VM (<c>multipass info</c>, what <c>netlab verify</c> and <c>status</c> read). VMs are built by
/// the Pulumi program's command steps, from the argument lists of <c>*Arguments</c>; exit codes are checked and stderr
/// is in the error; a missing <c>multipass</c> program says how to install it.
/// </summary>
public sealed partial class MultipassDriver
{
    private readonly ProcessRunner _runner;
    private readonly string _program;

    /// <param name="runner">How to run it (with its time limit, if any).</param>
    /// <param name="program">The multipass executable (tests pass a fake).</param>
    public MultipassDriver(ProcessRunner? runner = null, string program = Program)
    {
        _runner = runner ?? ProcessRunner.Default;
        _program = program;
    }

    /// <summary>The VM's description, or null when Multipass has no VM of that name.</summary>
    public async Task<MultipassInstance?> InfoAsync(string name, CancellationToken cancellationToken = default)
    {
        var result = await TryRunAsync(InfoArguments(name), cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            if (IsNoSuchInstance(result.StandardError))
                return null;
            throw new CommandFailedException(CommandLine(InfoArguments(name)), result.ExitCode, result.StandardError,
                "check that Multipass runs: 'multipass list'");
        }
        return MultipassInstance.ParseInfo(result.StandardOutput).FirstOrDefault(i => i.Name == name);
    }

    private async Task<CommandResult> TryRunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        try
        {
            return await _runner.TryRunAsync(_program, arguments, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ToolMissingException e)
        {
            throw new MultipassException($"'{_program}' was not found: netlab builds VM labs with Multipass", MultipassException.InstallFix, e);
        }
    }

    /// <summary>Multipass says <c>instance "NAME" does not exist</c> (exit code 2) for an unknown name.</summary>
    private static bool IsNoSuchInstance(string stderr) => stderr.Contains("does not exist", StringComparison.OrdinalIgnoreCase);
}
