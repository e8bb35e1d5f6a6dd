using Provisioner.Host.Processes;
using Provisioner.Observability.Metrics;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Observability.Tests;

/// <summary>The bpftrace drop counter of <c>netlab metrics --trace-drops</c>, against drops made in a namespace of the test's own.</summary>
[Collection(PrivilegedCollection.Name)]
public sealed class DropMonitorPrivilegedSpecs : IDisposable
{
    private readonly TestNetns _netns = new();

    [PrivilegedFact]
    public async Task Drops_of_a_netfilter_rule_are_counted_by_reason_in_the_namespace_that_sent_them()
    {
        var ns = _netns.Create("nlt-dm");
        _netns.Exec(ns, "ip", "addr", "add", "10.250.0.1/24", "dev", "lo");
        _netns.Exec(ns, "iptables-nft", "-A", "OUTPUT", "-p", "icmp", "-j", "DROP");
        await using var monitor = new DropMonitor(ProcessRunner.Default);
        await monitor.StartAsync();

        var attachBy = DateTime.UtcNow.AddSeconds(120); // bpftrace compiles and attaches in seconds, far longer on a loaded machine
        while (DateTime.UtcNow < attachBy && monitor.Failure is null && !monitor.Attached)
            await Task.Delay(200);
        Assert.True(monitor.Attached, $"bpftrace did not print its first table within 120 s; failure: {monitor.Failure}");

        var deadline = DateTime.UtcNow.AddSeconds(60);
        long count = 0;
        while (DateTime.UtcNow < deadline && monitor.Failure is null && count < 3)
        {
            _netns.Exec(ns, "ping", "-c", "1", "-W", "1", "10.250.0.1");
            count = monitor.Current.GetValueOrDefault((ns, "NETFILTER_DROP"));
        }

        Assert.True(count >= 3, $"NETFILTER_DROP in {ns}: {count}; failure: {monitor.Failure}; seen: {string.Join(", ", monitor.Current)}");
    }

    public void Dispose() => _netns.Dispose();
}
