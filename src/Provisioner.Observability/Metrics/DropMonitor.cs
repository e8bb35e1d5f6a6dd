using System.Globalization;
using System.Text.RegularExpressions;
using Provisioner.Host.Processes;

namespace Provisioner.Observability.Metrics;

/// <summary>
/// Kernel packet drops by reason and namespace, counted by a long-running bpftrace (observability/bpftrace/lab-metrics.bt)
/// that prints its whole table every second. Optional (<c>netlab metrics --trace-drops</c>): bpftrace costs seconds of CPU
/// and about 110 MB (measured: 0.7 s CPU, 113 MB RSS, attached after about 3 s), and needs tracefs and kernel BTF; everything else netlab serves comes from plain counters.
/// </summary>
public sealed partial class DropMonitor(ProcessRunner run) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<(string, string), long> _building = [];
    private IReadOnlyDictionary<(string Namespace, string Reason), long> _current = new Dictionary<(string, string), long>();
    private IReadOnlyDictionary<int, string> _reasons = new Dictionary<int, string>();
    private IReadOnlyDictionary<ulong, string> _names = new Dictionary<ulong, string>();
    private Task<int>? _bpftrace;
    private string? _script;

    /// <summary>Drops since the monitor started, by namespace name ("host", a lab namespace, or an inode) and reason name.</summary>
    public IReadOnlyDictionary<(string Namespace, string Reason), long> Current => Volatile.Read(ref _current);

    /// <summary>True once bpftrace printed its first table (it attaches seconds after it starts).</summary>
    public bool Attached { get; private set; }

    /// <summary>Set when bpftrace ended by itself: its last lines, to say why.</summary>
    public string? Failure { get; private set; }

    private readonly Queue<string> _lastLines = new();

    public async Task StartAsync(CancellationToken ct = default)
    {
        if (!File.Exists("/sys/kernel/tracing/available_events"))
            await run.TryRunAsync("mount", ["-t", "tracefs", "nodev", "/sys/kernel/tracing"], cancellationToken: ct).ConfigureAwait(false);
        _reasons = DropReasons.Load();
        _names = NamespaceNames.Load();
        _script = Path.Combine(Path.GetTempPath(), $"netlab-lab-metrics-{Environment.ProcessId}-{Guid.NewGuid():N}.bt");
        await File.WriteAllTextAsync(_script, ScriptText(), ct).ConfigureAwait(false);
        _bpftrace = run.StreamAsync("bpftrace", ["-B", "line", _script], OnLine, _stop.Token); // line-buffered: a pipe would get its tables in 4 KiB lumps
        _ = _bpftrace.ContinueWith(t => Failure = t.IsCanceled || _stop.IsCancellationRequested ? null
            : $"bpftrace exited ({(t.IsFaulted ? t.Exception!.InnerException!.Message : "code " + t.Result)}): {string.Join(" | ", _lastLines)}",
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public static string ScriptText() => Bpftrace.Script("lab-metrics.bt");

    internal void OnLine(string line)
    {
        lock (_building)
        {
            _lastLines.Enqueue(line);
            if (_lastLines.Count > 5)
                _lastLines.Dequeue();
            if (line.Trim() == "--")
            {
                Volatile.Write(ref _current, new Dictionary<(string, string), long>(_building));
                _building.Clear();
                Attached = true;
            }
            else if (Entry().Match(line) is { Success: true } m)
            {
                var reason = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                var inode = ulong.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                if (inode != 0 && !_names.ContainsKey(inode))
                    _names = NamespaceNames.Load(); // a namespace made after we started (a pod recreated)
                var ns = inode == 0 ? "unknown" : _names.GetValueOrDefault(inode, inode.ToString(CultureInfo.InvariantCulture));
                var key = (ns, _reasons.GetValueOrDefault(reason, reason.ToString(CultureInfo.InvariantCulture)));
                _building[key] = _building.GetValueOrDefault(key) + long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            }
        }
    }

    public async ValueTask DisposeAsync() => await Bpftrace.StopAsync(_stop, _bpftrace, _script).ConfigureAwait(false);

    [GeneratedRegex(@"^@drops\[(\d+), (\d+)\]: (\d+)")]
    private static partial Regex Entry();
}
