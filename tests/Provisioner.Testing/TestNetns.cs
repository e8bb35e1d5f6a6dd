using Provisioner.Host.Processes;

namespace Provisioner.Testing;

/// <summary>
/// Network namespaces created for one test, deleted on dispose even when the test failed. Deleting a namespace
/// removes its links, addresses, routes and rules with it; processes started inside are killed first.
/// </summary>
public sealed class TestNetns : IDisposable
{
    private readonly List<string> _names = [];
    private readonly ProcessRunner _run = ProcessRunner.Default;

    public IReadOnlyList<string> Names => _names;

    /// <summary>Creates a namespace with loopback up.</summary>
    public string Create(string prefix = "nlt")
    {
        var name = TestNames.Unique(prefix);
        _run.Run("ip", "netns", "add", name);
        _names.Add(name);
        _run.Run("ip", "-n", name, "link", "set", "lo", "up");
        return name;
    }

    /// <summary>Runs a command inside a namespace, bounded in time.</summary>
    public CommandResult Exec(string netns, params string[] command) =>
        _run.TryRunAsync("timeout", ["20", "ip", "netns", "exec", netns, .. command]).GetAwaiter().GetResult();

    public void Dispose()
    {
        foreach (var name in _names.AsEnumerable().Reverse())
        {
            _ = _run.TryRunAsync("ip", ["netns", "pids", name]).GetAwaiter().GetResult() is { Succeeded: true } pids
                ? KillAll(pids.StandardOutput) : 0;
            _ = _run.TryRunAsync("ip", ["netns", "del", name]).GetAwaiter().GetResult();
        }
        _names.Clear();
    }

    private int KillAll(string pids)
    {
        foreach (var pid in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            _ = _run.TryRunAsync("kill", ["-9", pid]).GetAwaiter().GetResult();
        return 0;
    }
}
