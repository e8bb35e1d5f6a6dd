using System.Globalization;
using System.Text.RegularExpressions;
using Provisioner.Host.Processes;

namespace Provisioner.Observability.Trace;

/// <summary>One drop of the probe as the kfree_skb tracepoint saw it: the kernel's reason, where, in which namespace.</summary>
public sealed record ProbeDrop(string Reason, string Namespace, string Location, string Source, string Destination, int SourcePort, int DestinationPort, int Length)
{
    /// <summary>What the kernel function that dropped it does, for the few places a lab's packets die without a telling reason.</summary>
    public string? Meaning => Location.Split('+')[0] switch
    {
        "__dev_forward_skb2" or "__dev_forward_skb" or "veth_xmit" => $"a veth refused the {Length}-byte frame: larger than the MTU of the link's other end",
        "br_dev_queue_push_xmit" => $"the bridge refused the {Length}-byte frame: larger than the outgoing port's MTU",
        "nf_hook_slow" => "netfilter said drop: a DROP verdict, or conntrack could not track the packet (a full table)",
        "neigh_invalidate" => "the next hop never answered ARP: no one has that address",
        _ => null,
    };
}

/// <summary>
/// The drops of one probe, from observability/bpftrace/probe-drops.bt: started before the probe is sent again,
/// stopped after it. bpftrace takes seconds to attach, so <c>trace packet</c> runs it only for a probe that was not answered.
/// </summary>
public sealed partial class ProbeDrops : IAsyncDisposable
{
    public static readonly TimeSpan AttachTimeout = TimeSpan.FromSeconds(60); // about a second on an idle machine; a loaded one can take tens

    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _lines = [];
    private readonly List<string> _errors = [];
    private Task<int>? _bpftrace;
    private string? _script;

    /// <summary>The raw drop lines seen so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
                return [.. _lines];
        }
    }

    /// <summary>Starts bpftrace for the probe and waits until it is attached; null (with why) when it cannot run here.</summary>
    public static async Task<(ProbeDrops? Drops, string? Problem)> StartAsync(ProcessRunner run, ProbeSpec probe, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(probe);
        if (!File.Exists("/sys/kernel/tracing/available_events"))
            await run.TryRunAsync("mount", ["-t", "tracefs", "nodev", "/sys/kernel/tracing"], cancellationToken: ct).ConfigureAwait(false);
        var drops = new ProbeDrops { _script = Path.Combine(Path.GetTempPath(), $"netlab-probe-drops-{Environment.ProcessId}-{Guid.NewGuid():N}.bt") };
        await File.WriteAllTextAsync(drops._script, ScriptText(), ct).ConfigureAwait(false);
        var protocol = probe.Protocol switch { ProbeProtocol.Icmp => "1", ProbeProtocol.Tcp => "6", _ => "17" };
        var address = BitConverter.ToUInt32(probe.FromAddress.GetAddressBytes()).ToString(CultureInfo.InvariantCulture); // network order, read as the host's u32
        drops._bpftrace = run.StreamAsync("bpftrace", ["-B", "line", drops._script, protocol, address, probe.SourcePort.ToString(CultureInfo.InvariantCulture)],
            drops.OnLine, drops._stop.Token);
        var ended = drops._bpftrace.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var first = await Task.WhenAny(drops._ready.Task, ended, Task.Delay(AttachTimeout, ct)).ConfigureAwait(false);
        if (first == drops._ready.Task)
            return (drops, null);
        string why;
        lock (drops._lines)
            why = first == ended ? $"bpftrace ended: {string.Join(" | ", drops._errors.TakeLast(3))}" : $"bpftrace did not attach within {AttachTimeout.TotalSeconds:0} s";
        await drops.DisposeAsync().ConfigureAwait(false);
        return (null, why);
    }

    public static string ScriptText() => Bpftrace.Script("probe-drops.bt");

    /// <summary>Waits for the first drop (or until <paramref name="timeout"/>), then a moment for any that follow it.</summary>
    public async Task<IReadOnlyList<string>> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Lines.Count == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(100, ct).ConfigureAwait(false);
        if (Lines.Count > 0)
            await Task.Delay(200, ct).ConfigureAwait(false);
        return Lines;
    }

    private void OnLine(string line)
    {
        lock (_lines)
        {
            if (line.Trim() == "ready")
                _ready.TrySetResult();
            else if (line.StartsWith("drop ", StringComparison.Ordinal))
                _lines.Add(line);
            else
                _errors.Add(line);
        }
    }

    public static ProbeDrop? Parse(string line, IReadOnlyDictionary<int, string> reasons, IReadOnlyDictionary<ulong, string> names)
    {
        ArgumentNullException.ThrowIfNull(reasons);
        ArgumentNullException.ThrowIfNull(names);
        if (DropLine().Match(line ?? "") is not { Success: true } m)
            return null;
        int Int(string group) => int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);
        var inode = ulong.Parse(m.Groups["ns"].Value, CultureInfo.InvariantCulture);
        return new ProbeDrop(reasons.GetValueOrDefault(Int("reason"), m.Groups["reason"].Value),
            inode == 0 ? "unknown" : names.GetValueOrDefault(inode, m.Groups["ns"].Value), m.Groups["at"].Value,
            m.Groups["src"].Value, m.Groups["dst"].Value, Int("sport"), Int("dport"), Int("len"));
    }

    public async ValueTask DisposeAsync() => await Bpftrace.StopAsync(_stop, _bpftrace, _script).ConfigureAwait(false);

    [GeneratedRegex(@"^drop reason=(?<reason>\d+) ns=(?<ns>\d+) at=(?<at>\S+) src=(?<src>\S+) dst=(?<dst>\S+) sport=(?<sport>\d+) dport=(?<dport>\d+) len=(?<len>\d+)")]
    private static partial Regex DropLine();
}
