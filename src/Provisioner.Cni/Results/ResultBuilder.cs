using Provisioner.Cni.Attach;
using Provisioner.Cni.Config;
using Provisioner.Cni.Skel;

namespace Provisioner.Cni.Results;

/// <summary>
/// The ADD result, shaped for the config's cniVersion: interfaces [bridge, host veth, pod interface with its
/// sandbox], one IP pointing at the pod interface (index 2), the routes, DNS. Before 1.0.0 each IP carries
/// "version": "4"; from 1.1.0 interfaces carry their MTU.
/// </summary>
internal static class ResultBuilder
{
    public const int ContainerInterfaceIndex = 2;

    public static ResultJson Build(PluginConfig config, string netns, AttachedPod pod)
    {
        var withMtu = CniVersions.InterfacesCarryMtu(config.CniVersion);
        return new ResultJson
        {
            CniVersion = config.CniVersion,
            Interfaces =
            [
                new InterfaceJson { Name = pod.BridgeName, Mac = pod.BridgeMac },
                new InterfaceJson { Name = pod.HostVeth.Name, Mac = pod.HostVeth.HardwareAddress, Mtu = withMtu ? pod.HostVeth.Mtu : null },
                new InterfaceJson { Name = pod.Container.Name, Mac = pod.Container.HardwareAddress, Mtu = withMtu ? pod.Container.Mtu : null, Sandbox = netns },
            ],
            Ips =
            [
                new IpJson
                {
                    Version = CniVersions.IpsCarryVersion(config.CniVersion) ? "4" : null,
                    Address = $"{pod.Address}/{config.Ipam.Subnet.PrefixLength}",
                    Gateway = config.Ipam.Gateway.ToString(),
                    Interface = ContainerInterfaceIndex,
                },
            ],
            Routes = PodAttachment.Routes(config.Ipam)
                .Select(r => new RouteJson { Dst = $"{r.Destination}/{r.DestinationLength}", Gw = r.Gateway?.ToString() })
                .ToList(),
            Dns = config.Dns ?? new DnsJson(),
        };
    }
}
