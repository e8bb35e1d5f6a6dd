using System.Text.RegularExpressions;
using Provisioner.Host.Processes;

namespace Provisioner.Observability;

/// <summary>The bpftrace scripts netlab ships, by the name a learner types (<c>netlab trace drops</c>).</summary>
public enum TraceScript { Drops, Retransmits }

/// <summary>
/// Runs one of netlab's bpftrace scripts and annotates its lines as they come: drop reason numbers become names,
/// namespace inodes become lab namespace names.
/// </summary>
public sealed partial class Tracer(ProcessRunner run)
{
    public static string ScriptText(TraceScript script) => Bpftrace.Script(script == TraceScript.Drops ? "drops.bt" : "tcp-retransmits.bt");

    public async Task<int> RunAsync(TraceScript script, Action<string> output, CancellationToken ct)
    {
        await EnsureTracefsAsync(ct).ConfigureAwait(false);
        var reasons = DropReasons.Load();
        var names = NamespaceNames.Load();
        var path = Path.Combine(Path.GetTempPath(), $"netlab-{script.ToString().ToLowerInvariant()}-{Environment.ProcessId}.bt");
        await File.WriteAllTextAsync(path, ScriptText(script), ct).ConfigureAwait(false);
        try
        {
            return await run.StreamAsync("bpftrace", [path], line => output(Annotate(line, reasons, names)), ct).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Replaces a drop-reason column and a trailing namespace inode with names, where known.</summary>
    public static string Annotate(string line, IReadOnlyDictionary<int, string> reasons, IReadOnlyDictionary<ulong, string> names)
    {
        var annotated = DropLine().Replace(line, m =>
            $"{m.Groups["time"].Value}{(int.TryParse(m.Groups["reason"].Value, out var r) && reasons.TryGetValue(r, out var n) ? n : m.Groups["reason"].Value),-22}");
        annotated = Reason().Replace(annotated, m =>
            int.TryParse(m.Groups[1].Value, out var r) && reasons.TryGetValue(r, out var n) ? $"@drops_by_reason[{n}]" : m.Value);
        return TrailingInode().Replace(annotated, m =>
            ulong.TryParse(m.Groups[1].Value, out var inode) && names.TryGetValue(inode, out var name) ? $" {name}" : m.Value);
    }

    /// <summary>bpftrace needs tracefs for tracepoints; some machines do not mount it.</summary>
    private async Task EnsureTracefsAsync(CancellationToken ct)
    {
        if (!File.Exists("/sys/kernel/tracing/available_events"))
            await run.TryRunAsync("mount", ["-t", "tracefs", "nodev", "/sys/kernel/tracing"], cancellationToken: ct).ConfigureAwait(false);
    }

    [GeneratedRegex(@"^(?<time>\d\d:\d\d:\d\d )(?<reason>\d+)\s+")]
    private static partial Regex DropLine();

    [GeneratedRegex(@"@drops_by_reason\[(\d+)\]")]
    private static partial Regex Reason();

    [GeneratedRegex(@" (\d{9,})$")]
    private static partial Regex TrailingInode();
}
