using Provisioner.Cni.Attach;
using Provisioner.Cni.Config;
using Provisioner.Cni.Ipam;
using Provisioner.Cni.Skel;
using Provisioner.Host.Netlink;

namespace Provisioner.Cni.Commands;

/// <summary>
/// STATUS: error 50 when an ADD could not give a working pod now: IPAM directory unusable, OVS bridge or database
/// missing, or (bridge mode without isGateway) the node bridge the fabric should have made is missing.
/// </summary>
internal static class StatusCommand
{
    public static void Run(PluginConfig config)
    {
        try
        {
            using var store = AllocationStore.Open(config.Ipam.DataDir, config.NetworkName);
        }
        catch (CniException e) when (e.Code is CniErrorCode.IoFailure)
        {
            throw new CniException(CniErrorCode.PluginNotAvailable, e.Message);
        }
        if (config.Mode == AttachMode.Ovs)
        {
            using var ovs = OvsdbClient.Connect(config.OvsDb);
            if (!ovs.BridgeExists(config.Bridge))
                throw new CniException(CniErrorCode.PluginNotAvailable, $"OVS bridge {config.Bridge} does not exist in {config.OvsDb ?? OvsdbClient.DefaultEndpoint}; the node fabric creates it");
            return;
        }
        using var host = RtNetlink.Open();
        var bridge = host.FindLink(config.Bridge);
        if (bridge is null && !config.IsGateway)
            throw new CniException(CniErrorCode.PluginNotAvailable,
                $"bridge {config.Bridge} does not exist and isGateway is false, so pods would get no gateway; the node fabric has not run yet (or set isGateway true)");
        if (bridge is not null && bridge.Kind != "bridge")
            throw new CniException(CniErrorCode.PluginNotAvailable, $"{config.Bridge} is a {bridge.Kind ?? "plain"} device, not a Linux bridge, so ADD cannot attach pods to it");
    }
}
