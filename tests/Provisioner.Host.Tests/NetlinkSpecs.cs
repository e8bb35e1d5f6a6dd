using System.Net;
using Provisioner.Host.Namespaces;
using Provisioner.Host.Netlink;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Host.Tests;

/// <summary>The rtnetlink client against the real kernel, only ever inside namespaces these tests create.</summary>
[Collection(PrivilegedCollection.Name)]
public sealed class NetlinkSpecs : IDisposable
{
    private readonly TestNetns _netns = new();
    private readonly string _node;
    private readonly string _pod;

    public NetlinkSpecs()
    {
        _node = _netns.Create("nlh-node");
        _pod = _netns.Create("nlh-pod");
    }

    [PrivilegedFact]
    public void I_can_create_a_veth_whose_peer_lands_in_another_namespace_on_a_bridge()
    {
        using var node = NetworkNamespace.Open("/run/netns/" + _node);
        using var pod = NetworkNamespace.Open("/run/netns/" + _pod);
        using var nodeNetlink = node.OpenNetlink();
        using var podNetlink = pod.OpenNetlink();
        nodeNetlink.CreateBridge("br-spec", mtu: 1400, hardwareAddress: "02:00:00:aa:bb:cc");
        var bridge = nodeNetlink.GetLink("br-spec");

        var created = nodeNetlink.CreateVeth(new VethRequest("veth-spec", "eth0")
        {
            PeerNamespace = pod, PeerHardwareAddress = "02:00:00:11:22:33", Mtu = 1400, MasterIndex = bridge.Index,
        });

        var host = nodeNetlink.GetLink("veth-spec");
        Assert.Equal(host, created); // what the kernel echoed back is what it then reports
        Assert.Equal("veth", host.Kind);
        Assert.Equal(bridge.Index, host.MasterIndex);
        Assert.True(host.IsUp);
        Assert.Equal(1400, host.Mtu);
        Assert.Equal("bridge", bridge.Kind);
        Assert.Equal("02:00:00:aa:bb:cc", nodeNetlink.GetLink("br-spec").HardwareAddress); // fixed, not taken from the port
        var peer = podNetlink.GetLink("eth0");
        Assert.Equal(peer.Index, created.LinkIndex);
        Assert.Equal("02:00:00:11:22:33", peer.HardwareAddress);
        Assert.Contains("eth0", _netns.Exec(_pod, "ip", "link", "show", "eth0").StandardOutput);
        Assert.Contains("master br-spec", _netns.Exec(_node, "ip", "link", "show", "veth-spec").StandardOutput);
    }

    [PrivilegedFact]
    public void I_can_address_route_and_ping_across_the_pair()
    {
        using var node = NetworkNamespace.Open("/run/netns/" + _node);
        using var pod = NetworkNamespace.Open("/run/netns/" + _pod);
        using var nodeNetlink = node.OpenNetlink();
        using var podNetlink = pod.OpenNetlink();
        nodeNetlink.CreateVeth(new VethRequest("veth-spec", "eth0") { PeerNamespace = pod });
        var host = nodeNetlink.GetLink("veth-spec");
        var eth0 = podNetlink.GetLink("eth0");

        podNetlink.SetUp(eth0.Index);
        nodeNetlink.AddAddress(host.Index, IPAddress.Parse("10.66.0.1"), 24);
        podNetlink.AddAddress(eth0.Index, IPAddress.Parse("10.66.0.2"), 24);
        podNetlink.AddRoute(new RouteInfo(null, 0, IPAddress.Parse("10.66.0.1"), eth0.Index));

        Assert.Contains(podNetlink.ListAddresses(eth0.Index), a => a.ToString() == "10.66.0.2/24");
        Assert.Contains(podNetlink.ListRoutes(), r => r.Destination is null && IPAddress.Parse("10.66.0.1").Equals(r.Gateway));
        Assert.Contains("default via 10.66.0.1 dev eth0", _netns.Exec(_pod, "ip", "route").StandardOutput);
        Assert.True(_netns.Exec(_pod, "ping", "-c1", "-W2", "10.66.0.1").Succeeded, "no ping across the veth");
        Assert.True(podNetlink.DeleteAddress(eth0.Index, IPAddress.Parse("10.66.0.2"), 24));
        Assert.Empty(podNetlink.ListAddresses(eth0.Index));
    }

    [PrivilegedFact]
    public void I_can_turn_hairpin_on_a_bridge_port_and_read_it_back()
    {
        using var node = NetworkNamespace.Open("/run/netns/" + _node);
        using var nodeNetlink = node.OpenNetlink();
        nodeNetlink.CreateBridge("br-spec");
        nodeNetlink.CreateVeth(new VethRequest("veth-spec", "veth-peer") { MasterIndex = nodeNetlink.GetLink("br-spec").Index });
        var port = nodeNetlink.GetLink("veth-spec");

        nodeNetlink.SetHairpin(port.Index, true);

        Assert.True(nodeNetlink.GetHairpin(port.Index));
        Assert.Contains("hairpin on", _netns.Exec(_node, "ip", "-d", "link", "show", "veth-spec").StandardOutput);
        nodeNetlink.SetHairpin(port.Index, false);
        Assert.False(nodeNetlink.GetHairpin(port.Index));
    }

    [PrivilegedFact]
    public void Kernel_refusals_carry_the_errno_and_missing_things_are_not_errors_where_that_helps()
    {
        using var node = NetworkNamespace.Open("/run/netns/" + _node);
        using var nodeNetlink = node.OpenNetlink();
        nodeNetlink.CreateBridge("br-spec");

        var duplicate = Assert.Throws<NetlinkException>(() => nodeNetlink.CreateBridge("br-spec"));

        Assert.True(duplicate.AlreadyExists);
        Assert.Contains("create bridge br-spec", duplicate.Message);
        Assert.Null(nodeNetlink.FindLink("nope0"));
        Assert.False(nodeNetlink.DeleteLink("nope0"));
        Assert.True(nodeNetlink.DeleteLink("br-spec"));
        Assert.Throws<NetlinkException>(() => nodeNetlink.GetLink("br-spec"));
    }

    [PrivilegedFact]
    public void Work_runs_inside_the_namespace_on_its_own_thread_and_the_caller_stays_put()
    {
        var callerNamespace = new FileInfo("/proc/thread-self/ns/net").LinkTarget;
        using var pod = NetworkNamespace.Open("/run/netns/" + _pod);

        var inside = pod.Run(() => new FileInfo("/proc/thread-self/ns/net").LinkTarget);
        var podInode = _netns.Exec(_pod, "readlink", "/proc/self/ns/net").StandardOutput.Trim();

        Assert.Equal(podInode, inside);
        Assert.NotEqual(callerNamespace, inside);
        Assert.Equal(callerNamespace, new FileInfo("/proc/thread-self/ns/net").LinkTarget);
        Assert.Throws<InvalidOperationException>(() => pod.Run<int>(() => throw new InvalidOperationException("rethrown")));
    }

    [PrivilegedFact]
    public void Opening_a_missing_namespace_says_so()
    {
        var error = Assert.Throws<NamespaceNotFoundException>(() => NetworkNamespace.Open("/run/netns/nlh-does-not-exist"));

        Assert.Contains("/run/netns/nlh-does-not-exist", error.Message);
    }

    [PrivilegedFact]
    public void I_can_turn_tx_checksum_offload_off_inside_a_namespace()
    {
        using var pod = NetworkNamespace.Open("/run/netns/" + _pod);
        using var podNetlink = pod.OpenNetlink();
        podNetlink.CreateVeth(new VethRequest("eth0", "eth0-peer"));

        pod.Run(() => Ethtool.SetTxChecksumOffload("eth0", false));

        Assert.False(pod.Run(() => Ethtool.GetTxChecksumOffload("eth0")));
        Assert.Contains("tx-checksumming: off", _netns.Exec(_pod, "ethtool", "-k", "eth0").StandardOutput);
    }

    public void Dispose() => _netns.Dispose();
}
