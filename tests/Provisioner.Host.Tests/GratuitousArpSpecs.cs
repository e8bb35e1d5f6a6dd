using System.Net;
using Provisioner.Host.Announcing;
using Provisioner.Host.Processes;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Host.Tests;

/// <summary>The announcer's gratuitous ARP against the real kernel, between two namespaces these tests create.</summary>
[Collection(PrivilegedCollection.Name)]
public sealed class GratuitousArpSpecs : IDisposable
{
    private readonly TestNetns _netns = new();

    [PrivilegedFact]
    public void A_neighbour_that_cached_another_mac_for_an_address_takes_the_announcers_after_one_gratuitous_arp()
    {
        var announcer = _netns.Create("nlh-garp-a");
        var neighbour = _netns.Create("nlh-garp-b");
        var run = ProcessRunner.Default;
        run.Run("ip", "-n", announcer, "link", "add", "eth0", "address", "02:00:00:00:aa:01", "type", "veth", "peer", "name", "eth0", "netns", neighbour);
        run.Run("ip", "-n", announcer, "link", "set", "eth0", "up");
        run.Run("ip", "-n", neighbour, "addr", "add", "192.0.2.2/24", "dev", "eth0");
        run.Run("ip", "-n", neighbour, "link", "set", "eth0", "up");
        run.Run("ip", "-n", neighbour, "neigh", "replace", "192.0.2.240", "lladdr", "02:00:00:00:bb:02", "dev", "eth0", "nud", "stale");

        GratuitousArp.Send("/run/netns/" + announcer, "eth0", IPAddress.Parse("192.0.2.240"));

        string Cached() => run.Run("ip", "-n", neighbour, "neigh", "show", "192.0.2.240", "dev", "eth0");
        for (var i = 0; i < 50 && !Cached().Contains("02:00:00:00:aa:01", StringComparison.Ordinal); i++)
            Thread.Sleep(20);
        Assert.Contains("lladdr 02:00:00:00:aa:01", Cached(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_frame_is_an_arp_request_from_the_address_for_itself_to_the_broadcast_mac()
    {
        var frame = GratuitousArp.Frame([2, 0, 0, 0, 0xaa, 1], [192, 0, 2, 240]);
        Assert.Equal(Enumerable.Repeat((byte)0xff, 6), frame[..6]);
        Assert.Equal(new byte[] { 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1 }, frame[12..22]);
        Assert.Equal(frame[28..32], frame[38..42]);
        Assert.Equal(new byte[6], frame[32..38]);
    }

    public void Dispose() => _netns.Dispose();
}
