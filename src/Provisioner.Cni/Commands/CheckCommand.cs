using System.Net;
using Provisioner.Cni.Attach;
using Provisioner.Cni.Config;
using Provisioner.Cni.Ipam;
using Provisioner.Cni.Skel;
using Provisioner.Host.Netlink;

namespace Provisioner.Cni.Commands;

/// <summary>
/// CHECK: compares the node and the pod with prevResult and fails (code 100) with the first difference, named
/// precisely: the allocation, the pod interface (exists, up, MAC, MTU), each address, each route, the host veth
/// and its bridge port (master, hairpin).
/// </summary>
internal static class CheckCommand
{
    public static void Run(PluginConfig config, CniEnvironment env)
    {
        var prev = config.PrevResult
            ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, "CHECK needs prevResult (the result of the ADD); the runtime injects it");
        var container = prev.Interfaces?.FirstOrDefault(i => i.Name == env.IfName && !string.IsNullOrEmpty(i.Sandbox))
            ?? throw Failed($"prevResult lists no interface {env.IfName} with a sandbox");
        var addresses = ParseAddresses(prev, prev.Interfaces!.IndexOf(container));
        CheckAllocation(config, env, addresses);

        using var pod = AddCommand.OpenPodNamespace(env.Netns!);
        using (var podNetlink = pod.OpenNetlink())
        {
            var link = podNetlink.FindLink(env.IfName) ?? throw Failed($"interface {env.IfName} is missing from {env.Netns}");
            if (!link.IsUp)
                throw Failed($"interface {env.IfName} in {env.Netns} is down");
            if (container.Mac is { } mac && !string.Equals(mac, link.HardwareAddress, StringComparison.OrdinalIgnoreCase))
                throw Failed($"interface {env.IfName} has MAC {link.HardwareAddress}, prevResult says {mac}");
            if (link.Mtu != config.Mtu)
                throw Failed($"interface {env.IfName} has MTU {link.Mtu}, the config says {config.Mtu}");
            var present = podNetlink.ListAddresses(link.Index);
            foreach (var (address, prefix) in addresses)
            {
                if (!present.Any(a => a.Address.Equals(address) && a.PrefixLength == prefix))
                    throw Failed($"address {address}/{prefix} is missing from {env.IfName} in {env.Netns}");
            }
            var routes = podNetlink.ListRoutes();
            foreach (var route in prev.Routes ?? [])
            {
                if (!routes.Any(r => Matches(r, route)))
                    throw Failed($"route {route.Dst}{(route.Gw is null ? "" : " via " + route.Gw)} is missing in {env.Netns}");
            }
        }
        CheckHostSide(config, env);
    }

    private static void CheckAllocation(PluginConfig config, CniEnvironment env, List<(IPAddress Address, int Prefix)> addresses)
    {
        using var store = AllocationStore.Open(config.Ipam.DataDir, config.NetworkName);
        var held = store.Find(env.ContainerId, env.IfName)
            ?? throw Failed($"IPAM holds no address for {env.ContainerId}/{env.IfName} in {store.Directory}");
        if (!addresses.Any(a => a.Address.Equals(held.Address)))
            throw Failed($"IPAM gave {held.Address} to {env.ContainerId}/{env.IfName}, prevResult says {string.Join(", ", addresses.Select(a => a.Address))}");
    }

    private static void CheckHostSide(PluginConfig config, CniEnvironment env)
    {
        var name = HostVethName.For(config.NetworkName, env.ContainerId, env.IfName);
        using var host = RtNetlink.Open();
        var veth = host.FindLink(name) ?? throw Failed($"host veth {name} is missing from the node");
        if (config.Mode != AttachMode.Bridge)
            return;
        var bridge = host.FindLink(config.Bridge) ?? throw Failed($"bridge {config.Bridge} is missing from the node");
        if (veth.MasterIndex != bridge.Index)
            throw Failed($"host veth {name} is not a port of bridge {config.Bridge}");
        if (config.HairpinMode && host.GetHairpin(veth.Index) != true)
            throw Failed($"hairpin mode is off on {name}; the config asks for hairpinMode");
        if (config.IsGateway && !BridgeSetup.HasAddress(host, bridge, config.Ipam.Gateway))
            throw Failed($"bridge {config.Bridge} lacks the gateway address {config.Ipam.Gateway}");
    }

    private static List<(IPAddress, int)> ParseAddresses(ResultJson prev, int containerIndex)
    {
        var result = new List<(IPAddress, int)>();
        foreach (var ip in prev.Ips ?? [])
        {
            if (ip.Interface is { } index && index != containerIndex)
                continue;
            if (ip.Address is null || !TryParseHostCidr(ip.Address, out var address, out var prefix))
                throw new CniException(CniErrorCode.DecodeFailure, $"prevResult.ips address \"{ip.Address}\" is not a CIDR such as 10.244.1.5/24");
            result.Add((address, prefix));
        }
        if (result.Count == 0)
            throw Failed("prevResult lists no IP for the container interface");
        return result;
    }

    private static bool TryParseHostCidr(string text, out IPAddress address, out int prefix)
    {
        address = IPAddress.None;
        prefix = 0;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && IPAddress.TryParse(text.AsSpan(0, slash), out address!) && int.TryParse(text.AsSpan(slash + 1), out prefix);
    }

    private static bool Matches(RouteInfo actual, RouteJson expected)
    {
        if (expected.Dst is null || !IPNetwork.TryParse(expected.Dst, out var destination))
            return false;
        var sameDestination = actual.DestinationLength == destination.PrefixLength
            && (destination.PrefixLength == 0 || destination.BaseAddress.Equals(actual.Destination));
        return sameDestination && (expected.Gw is null || IPAddress.TryParse(expected.Gw, out var gw) && gw.Equals(actual.Gateway));
    }

    private static CniException Failed(string message) => new(CniErrorCode.CheckFailed, "CHECK: " + message);
}
