using System.Diagnostics;

namespace Provisioner.Core.Diagnostics;

/// <summary>
/// Where a command's time goes, when asked: with NETLAB_PROFILE=1 every timed phase writes one line to stderr
/// ("netlab profile: PHASE 123.4 ms wall, 98.0 ms cpu"); otherwise a phase costs nothing but the stopwatch.
/// For measuring (bench/netns-up-bench.sh), never for deciding anything.
/// </summary>
public static class PhaseTimer
{
    public static bool Enabled { get; } = Environment.GetEnvironmentVariable("NETLAB_PROFILE") == "1";

    /// <summary>Times the phase until the returned value is disposed.</summary>
    public static Phase Start(string name) => new(name, Enabled);

    /// <summary>Times <paramref name="body"/>.</summary>
    public static T Time<T>(string name, Func<T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var _ = Start(name);
        return body();
    }

    public readonly struct Phase(string name, bool enabled) : IDisposable
    {
        private readonly long _start = enabled ? Stopwatch.GetTimestamp() : 0;
        private readonly TimeSpan _cpu = enabled ? Process.GetCurrentProcess().TotalProcessorTime : TimeSpan.Zero;

        public void Dispose()
        {
            if (!enabled)
                return;
            var wall = Stopwatch.GetElapsedTime(_start);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - _cpu;
            Console.Error.WriteLine($"netlab profile: {name} {wall.TotalMilliseconds:0.0} ms wall, {cpu.TotalMilliseconds:0.0} ms cpu (whole process;" +
                $" {System.Runtime.JitInfo.GetCompiledMethodCount()} methods jitted so far in {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:0} ms)");
        }
    }
}
