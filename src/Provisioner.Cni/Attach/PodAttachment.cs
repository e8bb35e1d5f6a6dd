using System.Net;
using Provisioner.Cni.Config;
using Provisioner.Cni.Skel;
using Provisioner.Host.Namespaces;
using Provisioner.Host.Netlink;

namespace Provisioner.Cni.Attach;

/// <summary>What ADD built, for the result: the node bridge, both veth ends and the pod's address.</summary>
internal sealed record AttachedPod(string BridgeName, string? BridgeMac, LinkInfo HostVeth, LinkInfo Container, IPAddress Address);

/// <summary>
/// Wires a pod into the node: a veth pair whose pod end (CNI_IFNAME) is created directly in the pod's namespace,
/// the host end on the node bridge (Linux bridge or OVS), the address, routes and MTU in the pod.
/// Each step records how to undo itself, so a failed ADD leaves nothing behind.
/// </summary>
internal sealed class PodAttachment(PluginConfig config, CniEnvironment env, RtNetlink host, PluginLog log)
{
    private readonly string _hostVeth = HostVethName.For(config.NetworkName, env.ContainerId, env.IfName);
    private readonly string _podMac = RtNetlink.RandomHardwareAddress();

    public AttachedPod Attach(NetworkNamespace pod, LinkInfo? bridge, IPAddress address, Stack<Action> undo)
    {
        var hostLink = CreateVeth(pod, bridge);
        undo.Push(() => host.DeleteLink(_hostVeth));
        if (config.Mode == AttachMode.Bridge && config.HairpinMode)
            host.SetHairpin(hostLink.Index, true);
        if (config.Mode == AttachMode.Ovs)
        {
            using var ovs = OvsdbClient.Connect(config.OvsDb);
            if (ovs.DeletePort(_hostVeth))
                log.Write($"removed stale OVS port {_hostVeth} left by an earlier ADD");
            ovs.AddPort(config.Bridge, _hostVeth);
            undo.Push(() => RemoveOvsPort());
        }

        using var podNetlink = pod.OpenNetlink();
        // The echoed host end names its peer's index, and we chose the peer's MAC: no lookup in the pod needed.
        var container = hostLink.LinkIndex is { } peerIndex
            ? new LinkInfo(peerIndex, env.IfName, "veth", _podMac, config.Mtu, null, false)
            : podNetlink.GetLink(env.IfName);
        podNetlink.SetUp(container.Index);
        container = container with { IsUp = true };
        podNetlink.AddAddress(container.Index, address, config.Ipam.Subnet.PrefixLength);
        foreach (var route in Routes(config.Ipam))
            podNetlink.AddRoute(route with { OutputLinkIndex = container.Index });
        if (config.Mode == AttachMode.Ovs && config.Datapath == OvsDatapath.Netdev)
            pod.Run(() => Ethtool.SetTxChecksumOffload(env.IfName, false));
        log.Write($"attached {env.IfName}={address} in {env.Netns} via {_hostVeth} on {config.Bridge}");
        return new AttachedPod(config.Bridge, bridge?.HardwareAddress, hostLink, container, address);
    }

    /// <summary>
    /// The veth pair in one request. EEXIST means either a host end left by a killed ADD (deleted, then retried once)
    /// or CNI_IFNAME already taken in the pod (an error: the runtime must DEL first).
    /// </summary>
    private LinkInfo CreateVeth(NetworkNamespace pod, LinkInfo? bridge)
    {
        var request = new VethRequest(_hostVeth, env.IfName)
        {
            PeerNamespace = pod, PeerHardwareAddress = _podMac, Mtu = config.Mtu, MasterIndex = bridge?.Index, Up = true,
        };
        try
        {
            return host.CreateVeth(request);
        }
        catch (NetlinkException e) when (e.AlreadyExists && host.DeleteLink(_hostVeth))
        {
            log.Write($"removed stale {_hostVeth} left by an earlier ADD");
        }
        catch (NetlinkException e) when (e.AlreadyExists)
        {
            throw new CniException(CniErrorCode.Internal,
                $"interface {env.IfName} already exists in {env.Netns}; a runtime must not ADD twice without DEL (run DEL first)");
        }
        return host.CreateVeth(request);
    }

    /// <summary>
    /// Removes the pod's interface and the host end; every part may already be gone. Deleting the host end takes the
    /// pod end with it, so the pod's namespace is entered only when the host end was not found.
    /// </summary>
    public void Detach()
    {
        if (host.DeleteLink(_hostVeth))
            log.Write($"deleted {_hostVeth} and its peer {env.IfName}");
        else if (env.Netns is not null)
            DeleteInPod(env.Netns);
        if (config.Mode == AttachMode.Ovs)
            RemoveOvsPort();
    }

    private void DeleteInPod(string netns)
    {
        try
        {
            using var pod = NetworkNamespace.Open(netns);
            using var podNetlink = pod.OpenNetlink();
            if (podNetlink.FindLink(env.IfName) is { Kind: "veth" } && podNetlink.DeleteLink(env.IfName))
                log.Write($"deleted {env.IfName} in {netns}");
        }
        catch (NamespaceNotFoundException)
        {
            log.Write($"{netns} is gone; nothing to delete inside it");
        }
    }

    /// <summary>The routes to install in the pod: the configured ones, each via the gateway unless it names its own.</summary>
    public static IEnumerable<RouteInfo> Routes(IpamConfig ipam) =>
        ipam.Routes.Select(r => new RouteInfo(r.Destination.BaseAddress, r.Destination.PrefixLength, r.Gateway ?? ipam.Gateway, null));

    private void RemoveOvsPort()
    {
        using var ovs = OvsdbClient.Connect(config.OvsDb);
        if (ovs.DeletePort(_hostVeth))
            log.Write($"removed OVS port {_hostVeth}");
    }
}
