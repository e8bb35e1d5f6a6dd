using System.Diagnostics;
using System.Globalization;

/// <summary>One measured step: wall clock, CPU (this process and every program it ran), and peak memory of each.</summary>
internal sealed record Measured(TimeSpan Wall, TimeSpan Cpu, long SelfPeakKb, long ToolPeakKb, string Note)
{
    public override string ToString() =>
        $"{Ms(Wall),9} {Ms(Cpu),9} {SelfPeakKb / 1024,8} {ToolPeakKb / 1024,8}  {Note}";

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);
}

/// <summary>
/// Measures steps. Every program the engine runs goes through <c>ip netns exec</c>; an <c>ip</c> wrapper put first on
/// PATH runs the real one under /usr/bin/time, which appends each process's peak RSS to a log, so the tools' memory is
/// measured per step, for netlab's payload and the kube-proxy-shaped one alike.
/// </summary>
internal sealed class Meter : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "netlab-bench-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _log;

    public Meter()
    {
        Directory.CreateDirectory(_directory);
        _log = Path.Combine(_directory, "rusage.log");
        var ip = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "ip")).First(File.Exists);
        var wrapper = Path.Combine(_directory, "ip");
        File.WriteAllText(wrapper, $"#!/bin/sh\nexec /usr/bin/time -a -o {_log} -f %M {ip} \"$@\"\n");
        if (OperatingSystem.IsLinux())
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Environment.SetEnvironmentVariable("PATH", _directory + ":" + Environment.GetEnvironmentVariable("PATH"));
    }

    public async Task<(T Result, Measured Measured)> StepAsync<T>(Func<Task<T>> action, Func<T, string> note)
    {
        File.Delete(_log);
        File.WriteAllText("/proc/self/clear_refs", "5"); // resets this process's peak RSS (VmHWM)
        var cpu = CpuTime();
        var clock = Stopwatch.StartNew();
        var result = await action();
        var wall = clock.Elapsed;
        return (result, new Measured(wall, CpuTime() - cpu, SelfPeakKb(), ToolPeakKb(), note(result)));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private long ToolPeakKb() => File.Exists(_log)
        ? File.ReadAllLines(_log).Select(l => long.TryParse(l.Trim(), CultureInfo.InvariantCulture, out var kb) ? kb : 0).DefaultIfEmpty(0).Max()
        : 0;

    private static long SelfPeakKb() =>
        File.ReadAllLines("/proc/self/status").Where(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)).First();

    // CPU time of this process plus its finished children (the tools): unlike wall clock, it does not grow when other
    // work shares the machine. /proc/self/stat fields 14-17 are utime, stime, cutime, cstime in clock ticks.
    private static TimeSpan CpuTime()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return TimeSpan.FromMilliseconds(fields[11..15].Sum(f => long.Parse(f, CultureInfo.InvariantCulture)) * 10.0);
    }
}
