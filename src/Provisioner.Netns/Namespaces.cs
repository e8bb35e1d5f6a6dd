using Provisioner.Host.Processes;
using Provisioner.Host.Iproute;

namespace Provisioner.Netns;

/// <summary>Named network namespaces (<c>ip netns</c>), created idempotently.</summary>
public sealed class Namespaces(ProcessRunner run)
{
    public const string RunDirectory = "/run/netns";

    public static string PathOf(string name) => Path.Combine(RunDirectory, name);

    public static bool Exists(string name) => File.Exists(PathOf(name));

    public static IReadOnlyList<string> List() =>
        System.IO.Directory.Exists(RunDirectory) ? [.. System.IO.Directory.GetFiles(RunDirectory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)] : [];

    /// <summary>Creates the namespace with loopback up; does nothing if it exists.</summary>
    public async Task<bool> EnsureAsync(string name, CancellationToken ct = default)
    {
        if (Exists(name))
            return false;
        await run.RunAsync("ip", ["netns", "add", name], cancellationToken: ct).ConfigureAwait(false);
        await Ip(name, ct, "link", "set", "lo", "up").ConfigureAwait(false);
        return true;
    }

    /// <summary>Kills every process inside, then deletes the namespace (its links, routes and rules go with it).</summary>
    public async Task<bool> DeleteAsync(string name, CancellationToken ct = default)
    {
        if (!Exists(name))
            return false;
        var pids = await run.TryRunAsync("ip", ["netns", "pids", name], cancellationToken: ct).ConfigureAwait(false);
        foreach (var pid in pids.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            await run.TryRunAsync("kill", ["-9", pid], cancellationToken: ct).ConfigureAwait(false);
        await run.RunAsync("ip", ["netns", "del", name], cancellationToken: ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>Runs <c>ip -n NS ARGS</c>.</summary>
    public Task<CommandResult> Ip(string name, CancellationToken ct, params string[] args) =>
        run.RunAsync("ip", ["-n", name, .. args], cancellationToken: ct);

    /// <summary>Runs a command inside the namespace (<c>ip netns exec</c>), without throwing on failure.</summary>
    public Task<CommandResult> TryExec(string name, IEnumerable<string> command, CancellationToken ct = default) =>
        run.TryRunAsync(NetnsExec.Ip, NetnsExec.Command(name, command), cancellationToken: ct);

    public Task<CommandResult> Exec(string name, IEnumerable<string> command, CancellationToken ct = default) =>
        run.RunAsync(NetnsExec.Ip, NetnsExec.Command(name, command), cancellationToken: ct);

    /// <summary>Sets a sysctl inside a namespace (they are per-namespace for net.*).</summary>
    public Task<CommandResult> Sysctl(string name, string key, string value, CancellationToken ct = default) =>
        Exec(name, ["sysctl", "-qw", $"{key}={value}"], ct);
}
