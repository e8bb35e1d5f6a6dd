using Provisioner.Host.Processes;

namespace Provisioner.Observability.Tests;

/// <summary>A long-running command (an exporter) whose output lines are kept, stopped and awaited (bounded) on dispose.</summary>
public sealed class StreamedProcess : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _lines = [];
    private readonly Task<int> _process;

    public StreamedProcess(string program, IEnumerable<string> arguments) =>
        _process = ProcessRunner.Default.StreamAsync(program, [.. arguments], line => { lock (_lines) _lines.Add(line); }, _stop.Token);

    /// <summary>Everything it printed so far (for failure messages).</summary>
    public string Log => Tail(int.MaxValue);

    /// <summary>True once it ended by itself (or was stopped).</summary>
    public bool Exited => _process.IsCompleted;

    /// <summary>Its last <paramref name="lines"/> lines.</summary>
    public string Tail(int lines)
    {
        lock (_lines)
            return string.Join("\n", _lines.TakeLast(lines));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _process.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
        }
        _stop.Dispose();
    }
}
