using System.ComponentModel;
using System.Text;
using CliWrap;
using CliWrap.Buffered;

namespace Provisioner.Host.Processes;

/// <summary>
/// The one way netlab runs a program: arguments passed as a list (never a shell string), exit code checked,
/// stderr in the error, a missing program reported with the package that provides it, and a time limit that ends in
/// <see cref="CommandTimedOutException"/> (naming the command and the limit) rather than a cancellation.
/// </summary>
public sealed class ProcessRunner
{
    /// <summary>Programs netlab calls and the Debian package that provides each, for "not installed" errors.</summary>
    private static readonly Dictionary<string, string> Packages = new(StringComparer.Ordinal)
    {
        ["ip"] = "iproute2", ["bridge"] = "iproute2", ["tc"] = "iproute2", ["nsenter"] = "util-linux",
        ["iptables"] = "iptables", ["iptables-restore"] = "iptables", ["iptables-save"] = "iptables",
        ["iptables-nft-restore"] = "iptables", ["iptables-nft-save"] = "iptables", ["setsid"] = "util-linux", ["unshare"] = "util-linux", ["sysctl"] = "procps",
        ["nft"] = "nftables", ["conntrack"] = "conntrack",
        ["ovs-vsctl"] = "openvswitch-switch", ["ovs-ofctl"] = "openvswitch-switch", ["ovs-vswitchd"] = "openvswitch-switch",
        ["ovsdb-server"] = "openvswitch-switch", ["ovsdb-tool"] = "openvswitch-switch", ["ovs-appctl"] = "openvswitch-switch",
        ["multipass"] = "multipass (snap install multipass)", ["shellcheck"] = "shellcheck", ["cloud-init"] = "cloud-init",
        ["iperf3"] = "iperf3", ["bpftrace"] = "bpftrace", ["ethtool"] = "ethtool",
        ["dnsmasq"] = "dnsmasq-base", ["dig"] = "bind9-dnsutils",
    };

    public static ProcessRunner Default { get; } = new();

    /// <summary>The limit of every run of this runner (null: none); see <see cref="WithTimeout"/>.</summary>
    public TimeSpan? Timeout { get; private init; }

    /// <summary>What a timeout's message tells the user to check (e.g. "whether another iptables holds the lock").</summary>
    public string? TimeoutCheck { get; private init; }

    /// <summary>A copy of this runner whose every run is killed after <paramref name="limit"/>, ending in a
    /// <see cref="CommandTimedOutException"/> that names the command, the limit and <paramref name="check"/>.</summary>
    public ProcessRunner WithTimeout(TimeSpan limit, string? check = null) => new() { Timeout = limit, TimeoutCheck = check };

    /// <summary>
    /// Runs a program and returns its output; throws <see cref="CommandFailedException"/> on a non-zero exit and
    /// <see cref="CommandTimedOutException"/> when the runner's <see cref="Timeout"/> passes first (the process is killed).
    /// Only <paramref name="cancellationToken"/> (the user's cancel) ends it with an <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task<CommandResult> RunAsync(string program, IEnumerable<string> arguments, string? stdin = null,
        IReadOnlyDictionary<string, string?>? environment = null, string? hint = null, CancellationToken cancellationToken = default)
    {
        var result = await TryRunAsync(program, arguments, stdin, environment, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new CommandFailedException(ShellQuote.Join([program, .. arguments]), result.ExitCode, result.StandardError, hint);
        return result;
    }

    /// <summary>Runs a program and returns its exit code and output without throwing on a non-zero exit (a timeout
    /// still throws <see cref="CommandTimedOutException"/>).</summary>
    public async Task<CommandResult> TryRunAsync(string program, IEnumerable<string> arguments, string? stdin = null,
        IReadOnlyDictionary<string, string?>? environment = null, CancellationToken cancellationToken = default)
    {
        var argv = arguments as IReadOnlyList<string> ?? [.. arguments];
        var command = Cli.Wrap(program)
            .WithArguments(argv)
            .WithValidation(CommandResultValidation.None);
        if (stdin is not null)
            command = command.WithStandardInputPipe(PipeSource.FromString(stdin, Encoding.UTF8));
        if (environment is not null)
            command = command.WithEnvironmentVariables(environment);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (Timeout is { } t)
            limit.CancelAfter(t);
        try
        {
            var result = await command.ExecuteBufferedAsync(limit.Token).ConfigureAwait(false);
            return new CommandResult(result.ExitCode, result.StandardOutput, result.StandardError);
        }
        catch (OperationCanceledException) when (Timeout is not null && !cancellationToken.IsCancellationRequested)
        {
            throw new CommandTimedOutException(ShellQuote.Join([program, .. argv]), Timeout.Value, TimeoutCheck);
        }
        catch (Win32Exception e)
        {
            throw new ToolMissingException(program, Packages.GetValueOrDefault(program, program), e);
        }
    }

    /// <summary>
    /// Runs a long-lived program, handing each line of its stdout and stderr to <paramref name="onLine"/> as it comes.
    /// Cancelling <paramref name="cancellationToken"/> stops it as systemd would: SIGTERM (not SIGINT, which a program
    /// started from a background job inherits as ignored), then SIGKILL when it has not ended after
    /// 10 s (or the killAfter given), so a stuck program never outlives its owner.
    /// </summary>
    public Task<int> StreamAsync(string program, IEnumerable<string> arguments, Action<string> onLine, CancellationToken cancellationToken = default) =>
        StreamAsync(program, arguments, onLine, TimeSpan.FromSeconds(10), cancellationToken);

    /// <inheritdoc cref="StreamAsync(string, IEnumerable{string}, Action{string}, CancellationToken)"/>
    public async Task<int> StreamAsync(string program, IEnumerable<string> arguments, Action<string> onLine, TimeSpan killAfter, CancellationToken cancellationToken = default)
    {
        var command = Cli.Wrap(program).WithArguments(arguments).WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(onLine))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(onLine));
        using var kill = new CancellationTokenSource();
        CommandTask<CliWrap.CommandResult> running;
        try
        {
            running = command.ExecuteAsync(kill.Token);
        }
        catch (Win32Exception e)
        {
            throw new ToolMissingException(program, Packages.GetValueOrDefault(program, program), e);
        }
        using var stopping = cancellationToken.Register(() =>
        {
            Signals.Send(running.ProcessId, Signals.Terminate);
            kill.CancelAfter(killAfter);
        });
        try
        {
            var result = await running.ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return result.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
    }

    public string Run(string program, params string[] arguments) =>
        RunAsync(program, arguments).GetAwaiter().GetResult().StandardOutput;

    public static string PackageFor(string program) => Packages.GetValueOrDefault(program, program);
}
