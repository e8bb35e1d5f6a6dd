using System.Net;
using Provisioner.Core.LoadBalancing;

namespace Provisioner.Core.Tests.LoadBalancing;

public class L2AnnouncementsSpecs
{
    private static readonly IPAddress Ip = IPAddress.Parse("192.168.64.241");
    private static readonly string[] Nodes = ["cp1", "w1", "w2"];

    private static AnnounceRequest Request(bool local = false, params string[] endpointNodes) =>
        new(Ip, "default/web", local, endpointNodes.ToHashSet());

    [Fact]
    public void Exactly_one_live_node_announces_an_address_and_every_speaker_picks_the_same()
    {
        var first = L2Announcements.Plan([Request()], Nodes, new Dictionary<IPAddress, string>()).Single();
        var again = L2Announcements.Plan([Request()], [.. Nodes.Reverse()], new Dictionary<IPAddress, string>()).Single();
        Assert.Contains(first.Node, Nodes);
        Assert.Equal(first.Node, again.Node);
    }

    [Fact]
    public void With_traffic_policy_local_only_a_node_with_an_endpoint_announces()
    {
        var announcement = L2Announcements.Plan([Request(local: true, "w2")], Nodes, new Dictionary<IPAddress, string>()).Single();
        Assert.Equal("w2", announcement.Node);
        var none = L2Announcements.Plan([Request(local: true)], Nodes, new Dictionary<IPAddress, string>()).Single();
        Assert.Null(none.Node);
        Assert.Contains("no live node has a ready endpoint", none.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_announcer_keeps_the_address_while_it_lives_and_another_takes_over_when_it_is_gone()
    {
        var chosen = L2Announcements.Plan([Request()], Nodes, new Dictionary<IPAddress, string>()).Single().Node!;
        var other = Nodes.First(n => n != chosen);
        Assert.Equal(other, L2Announcements.Plan([Request()], Nodes, new Dictionary<IPAddress, string> { [Ip] = other }).Single().Node);

        var survivors = Nodes.Where(n => n != chosen).ToList();
        var failover = L2Announcements.Plan([Request()], survivors, new Dictionary<IPAddress, string> { [Ip] = chosen }).Single();
        Assert.Contains(failover.Node, survivors);
        Assert.Contains($"takes over from {chosen}", failover.Reason, StringComparison.Ordinal);
    }
}
