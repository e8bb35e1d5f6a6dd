using Provisioner.Cni.Attach;
using Provisioner.Cni.Config;
using Provisioner.Cni.Ipam;
using Provisioner.Cni.Results;
using Provisioner.Cni.Skel;
using Provisioner.Host.Namespaces;
using Provisioner.Host.Netlink;

namespace Provisioner.Cni.Commands;

/// <summary>ADD: address from IPAM, veth into the pod, host end on the bridge; on any failure everything is undone.</summary>
internal static class AddCommand
{
    public static ResultJson Run(PluginConfig config, CniEnvironment env, PluginLog log)
    {
        using var pod = OpenPodNamespace(env.Netns!);
        using var host = RtNetlink.Open();
        var bridge = config.Mode == AttachMode.Bridge ? BridgeSetup.Ensure(host, config) : null;
        var undo = new Stack<Action>();
        try
        {
            System.Net.IPAddress address;
            using (var store = AllocationStore.Open(config.Ipam.DataDir, config.NetworkName))
                address = store.Allocate(config.Ipam, env.ContainerId, env.IfName);
            undo.Push(() => Release(config, env));
            var attached = new PodAttachment(config, env, host, log).Attach(pod, bridge, address, undo);
            if (config.Mode == AttachMode.Ovs)
                attached = attached with { BridgeMac = host.FindLink(config.Bridge)?.HardwareAddress };
            return ResultBuilder.Build(config, env.Netns!, attached);
        }
        catch (Exception failure)
        {
            log.Write($"ADD failed, rolling back: {failure.Message}");
            while (undo.TryPop(out var step))
            {
                try
                {
                    step();
                }
                catch (Exception e)
                {
                    log.Write($"rollback step failed: {e.Message}");
                }
            }
            throw;
        }
    }

    public static NetworkNamespace OpenPodNamespace(string path)
    {
        try
        {
            return NetworkNamespace.Open(path);
        }
        catch (NamespaceNotFoundException)
        {
            throw new CniException(CniErrorCode.UnknownContainer, $"CNI_NETNS {path} does not exist; the runtime must create the pod's network namespace before ADD");
        }
    }

    private static void Release(PluginConfig config, CniEnvironment env)
    {
        using var store = AllocationStore.Open(config.Ipam.DataDir, config.NetworkName);
        store.Release(env.ContainerId, env.IfName);
    }
}
