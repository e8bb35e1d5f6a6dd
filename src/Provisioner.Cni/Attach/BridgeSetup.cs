using System.Net;
using Provisioner.Cni.Config;
using Provisioner.Cni.Skel;
using Provisioner.Host.Netlink;

namespace Provisioner.Cni.Attach;

/// <summary>
/// The node's Linux bridge, as the reference bridge plugin keeps it: created (up, with the configured MTU) when
/// missing, and with isGateway the gateway address on it so pods have a next hop. Safe when many ADDs race.
/// </summary>
internal static class BridgeSetup
{
    public static LinkInfo Ensure(RtNetlink host, PluginConfig config)
    {
        var bridge = host.FindLink(config.Bridge);
        if (bridge is null)
        {
            try
            {
                host.CreateBridge(config.Bridge, config.Mtu, RtNetlink.RandomHardwareAddress());
            }
            catch (NetlinkException e) when (e.AlreadyExists)
            {
                // another ADD created it a moment ago
            }
            bridge = host.GetLink(config.Bridge);
        }
        if (bridge.Kind != "bridge")
            throw new CniException(CniErrorCode.InvalidNetworkConfig,
                $"bridge {config.Bridge} exists but is a {bridge.Kind ?? "plain"} device, not a Linux bridge; pick another name or use mode \"ovs\"");
        if (!bridge.IsUp)
            host.SetUp(bridge.Index);
        if (config.IsGateway)
            EnsureGatewayAddress(host, bridge, config.Ipam);
        return bridge;
    }

    private static void EnsureGatewayAddress(RtNetlink host, LinkInfo bridge, IpamConfig ipam)
    {
        if (host.ListAddresses(bridge.Index).Any(a => a.Address.Equals(ipam.Gateway)))
            return;
        try
        {
            host.AddAddress(bridge.Index, ipam.Gateway, ipam.Subnet.PrefixLength);
        }
        catch (NetlinkException e) when (e.AlreadyExists)
        {
        }
    }

    public static bool HasAddress(RtNetlink host, LinkInfo link, IPAddress address) =>
        host.ListAddresses(link.Index).Any(a => a.Address.Equals(address));
}
