using Provisioner.Cni.Attach;
using Provisioner.Cni.Config;
using Provisioner.Cni.Ipam;
using Provisioner.Cni.Skel;
using Provisioner.Host.Netlink;

namespace Provisioner.Cni.Commands;

/// <summary>
/// GC: releases every allocation of this network whose (container, interface) is not in cni.dev/valid-attachments,
/// and deletes host veths of this plugin on the node bridge that belong to none of them (left by a killed ADD), and
/// in ovs mode their OVS ports.
/// </summary>
internal static class GcCommand
{
    public static void Run(PluginConfig config, PluginLog log)
    {
        var valid = (config.ValidAttachments ?? []).ToHashSet();
        using (var store = AllocationStore.Open(config.Ipam.DataDir, config.NetworkName))
        {
            foreach (var address in store.ReleaseWhere(a => !valid.Contains((a.ContainerId, a.IfName))))
                log.Write($"GC released {address}");
        }
        var validVeths = valid.Select(a => HostVethName.For(config.NetworkName, a.ContainerId, a.IfName)).ToHashSet();
        using var host = RtNetlink.Open();
        var bridge = host.FindLink(config.Bridge);
        foreach (var link in host.ListLinks())
        {
            var ours = link.Kind == "veth" && link.Name.StartsWith(HostVethName.Prefix, StringComparison.Ordinal)
                && (link.MasterIndex is null || link.MasterIndex == bridge?.Index);
            if (ours && !validVeths.Contains(link.Name) && host.DeleteLink(link.Name))
                log.Write($"GC deleted {link.Name}");
        }
        if (config.Mode == AttachMode.Ovs)
            RemoveStaleOvsPorts(config, validVeths, log);
    }

    private static void RemoveStaleOvsPorts(PluginConfig config, HashSet<string> validVeths, PluginLog log)
    {
        using var ovs = OvsdbClient.Connect(config.OvsDb);
        foreach (var port in ovs.PortNames().Where(p => p.StartsWith(HostVethName.Prefix, StringComparison.Ordinal) && !validVeths.Contains(p)))
        {
            if (ovs.DeletePort(port))
                log.Write($"GC removed OVS port {port}");
        }
    }
}
