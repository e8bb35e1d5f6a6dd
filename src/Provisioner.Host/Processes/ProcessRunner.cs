using System.ComponentModel;
using System.Text;
using CliWrap;
using CliWrap.Buffered;

namespace Provisioner.Host.Processes;

/// <summary>
/// The one way netlab runs a program: arguments passed as a list (never a shell string), exit code checked,
/// stderr in the error, a missing program reported with the package that provides it.
/// </summary>
public sealed class ProcessRunner
{
    /// <summary>Programs netlab calls and the Debian package that provides each, for "not installed" errors.</summary>
    private static readonly Dictionary<string, string> Packages = new(StringComparer.Ordinal)
    {
        ["ip"] = "iproute2", ["bridge"] = "iproute2", ["tc"] = "iproute2", ["nsenter"] = "util-linux",
        ["iptables"] = "iptables", ["iptables-restore"] = "iptables", ["iptables-save"] = "iptables",
        ["iptables-nft-restore"] = "iptables", ["iptables-nft-save"] = "iptables", ["setsid"] = "util-linux", ["sysctl"] = "procps",
        ["nft"] = "nftables", ["conntrack"] = "conntrack",
        ["ovs-vsctl"] = "openvswitch-switch", ["ovs-ofctl"] = "openvswitch-switch", ["ovs-vswitchd"] = "openvswitch-switch",
        ["ovsdb-server"] = "openvswitch-switch", ["ovsdb-tool"] = "openvswitch-switch", ["ovs-appctl"] = "openvswitch-switch",
        ["multipass"] = "multipass (snap install multipass)", ["shellcheck"] = "shellcheck", ["cloud-init"] = "cloud-init",
        ["iperf3"] = "iperf3", ["bpftrace"] = "bpftrace", ["ethtool"] = "ethtool",
        ["dnsmasq"] = "dnsmasq-base", ["dig"] = "bind9-dnsutils",
    };

    public static ProcessRunner Default { get; } = new();

    /// <summary>Runs a program and returns its output; throws <see cref="CommandFailedException"/> on a non-zero exit.</summary>
    public async Task<CommandResult> RunAsync(string program, IEnumerable<string> arguments, string? stdin = null,
        IReadOnlyDictionary<string, string?>? environment = null, string? hint = null, CancellationToken cancellationToken = default)
    {
        var result = await TryRunAsync(program, arguments, stdin, environment, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new CommandFailedException(ShellQuote.Join([program, .. arguments]), result.ExitCode, result.StandardError, hint);
        return result;
    }

    /// <summary>Runs a program and returns its exit code and output without throwing on a non-zero exit.</summary>
    public async Task<CommandResult> TryRunAsync(string program, IEnumerable<string> arguments, string? stdin = null,
        IReadOnlyDictionary<string, string?>? environment = null, CancellationToken cancellationToken = default)
    {
        var command = Cli.Wrap(program)
            .WithArguments(arguments)
            .WithValidation(CommandResultValidation.None);
        if (stdin is not null)
            command = command.WithStandardInputPipe(PipeSource.FromString(stdin, Encoding.UTF8));
        if (environment is not null)
            command = command.WithEnvironmentVariables(environment);
        try
        {
            var result = await command.ExecuteBufferedAsync(cancellationToken).ConfigureAwait(false);
            return new CommandResult(result.ExitCode, result.StandardOutput, result.StandardError);
        }
        catch (Win32Exception e)
        {
            throw new ToolMissingException(program, Packages.GetValueOrDefault(program, program), e);
        }
    }

    /// <summary>Runs a long-lived program, handing each line of its stdout and stderr to <paramref name="onLine"/> as it comes.</summary>
    public async Task<int> StreamAsync(string program, IEnumerable<string> arguments, Action<string> onLine, CancellationToken cancellationToken = default)
    {
        var command = Cli.Wrap(program).WithArguments(arguments).WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(onLine))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(onLine));
        try
        {
            var result = await command.ExecuteAsync(default, cancellationToken).ConfigureAwait(false);
            return result.ExitCode;
        }
        catch (Win32Exception e)
        {
            throw new ToolMissingException(program, Packages.GetValueOrDefault(program, program), e);
        }
    }

    public string Run(string program, params string[] arguments) =>
        RunAsync(program, arguments).GetAwaiter().GetResult().StandardOutput;

    public static string PackageFor(string program) => Packages.GetValueOrDefault(program, program);
}
