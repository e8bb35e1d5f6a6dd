using System.Collections.Concurrent;
using Provisioner.Host.Processes;
using Provisioner.Observability;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Observability.Tests;

/// <summary>Runs the real bpftrace scripts against traffic made in a namespace of the test's own.</summary>
[Collection(PrivilegedCollection.Name)]
public sealed class TracerPrivilegedSpecs : IDisposable
{
    private readonly TestNetns _netns = new();

    [PrivilegedFact]
    public async Task The_drops_trace_names_a_netfilter_drop_and_the_namespace_it_happened_in()
    {
        var ns = _netns.Create("nlt-bt");
        _netns.Exec(ns, "iptables", "-A", "INPUT", "-p", "icmp", "-j", "DROP");
        var lines = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var trace = new Tracer(ProcessRunner.Default).RunAsync(TraceScript.Drops, lines.Enqueue, stop.Token);

        // bpftrace takes seconds to load BTF and attach; drop packets until the trace shows one from our namespace.
        var seen = false;
        while (!seen && !stop.IsCancellationRequested && !trace.IsCompleted)
        {
            _netns.Exec(ns, "ping", "-c", "1", "-W", "1", "127.0.0.1");
            seen = lines.Any(l => l.Contains("NETFILTER_DROP", StringComparison.Ordinal) && l.EndsWith(" " + ns, StringComparison.Ordinal));
        }
        await stop.CancelAsync();
        try
        {
            await trace;
        }
        catch (OperationCanceledException)
        {
        }

        Assert.True(seen, "no NETFILTER_DROP line naming " + ns + " in:\n" + string.Join("\n", lines));
    }

    public void Dispose() => _netns.Dispose();
}
