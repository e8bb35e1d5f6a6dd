using Provisioner.Cni.Attach;
using Provisioner.Cni.Config;
using Provisioner.Cni.Ipam;
using Provisioner.Cni.Skel;
using Provisioner.Host.Netlink;

namespace Provisioner.Cni.Commands;

/// <summary>DEL: idempotent; the namespace, the interface and the allocation may each be gone already.</summary>
internal static class DelCommand
{
    public static void Run(PluginConfig config, CniEnvironment env, PluginLog log)
    {
        using (var host = RtNetlink.Open())
            new PodAttachment(config, env, host, log).Detach();
        using var store = AllocationStore.Open(config.Ipam.DataDir, config.NetworkName);
        foreach (var address in store.Release(env.ContainerId, env.IfName))
            log.Write($"released {address}");
    }
}
