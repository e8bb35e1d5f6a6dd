using System.Reflection;
using Provisioner.Host.Processes;

namespace Provisioner.Observability;

/// <summary>What the long-running bpftrace users share: their embedded scripts, and stopping one cleanly.</summary>
internal static class Bpftrace
{
    /// <summary>A script from observability/bpftrace, embedded as <c>bpftrace/NAME</c>.</summary>
    public static string Script(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"bpftrace/{name}")
            ?? throw new InvalidOperationException($"embedded script bpftrace/{name} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Cancels a running bpftrace, waits (bounded) for it to detach, and deletes its script file.</summary>
    public static async Task StopAsync(CancellationTokenSource stop, Task<int>? bpftrace, string? script)
    {
        await stop.CancelAsync().ConfigureAwait(false);
        if (bpftrace is not null)
        {
            try
            {
                await bpftrace.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or TimeoutException or CommandFailedException)
            {
                // cancelled, or it did not end in time: either way it is being killed and the trace is over
            }
        }
        if (script is not null && File.Exists(script))
            File.Delete(script);
        stop.Dispose();
    }
}
