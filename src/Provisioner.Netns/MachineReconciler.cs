using System.Globalization;
using Provisioner.Core.Planning;
using Provisioner.Host.Namespaces;
using Provisioner.Host.Netlink;
using Provisioner.Host.Processes;
using Provisioner.Host.Iproute;

namespace Provisioner.Netns;

/// <summary>
/// The underlay and the node "machines": an underlay namespace with a bridge, an outside client on it, and per node
/// a namespace whose eth0 is a veth into that bridge with the node's underlay address — the netns stand-in for a VM
/// and its NIC on Multipass's network.
/// </summary>
public sealed class MachineReconciler(ProcessRunner run, LabLayout layout, LabPlan plan)
{
    private readonly Namespaces _ns = new(run);
    private int Mtu => plan.Lab.Network.UnderlayMtu;
    private string Prefix => plan.Addresses.NodeCidr.Cidr.ToString(CultureInfo.InvariantCulture);

    public async Task<IReadOnlyList<Change>> UnderlayAsync(CancellationToken ct)
    {
        var changes = new List<Change>();
        var ul = layout.UnderlayNamespace;
        if (!Namespaces.Exists(ul))
            changes.Add(new Change(LabPlan.UnderlayId, $"create namespace {ul}", c => _ns.EnsureAsync(ul, c)));
        var links = await LinkState.ReadAsync(run, ul, ct).ConfigureAwait(false);
        if (!links.TryGetValue(LabLayout.UnderlayBridge, out var bridge) || !bridge.Up)
            changes.Add(new Change(LabPlan.UnderlayId, $"bridge {LabLayout.UnderlayBridge} in {ul} (up, MTU {Mtu})", c => Batch(ul, c,
                bridge is null ? ["link", "add", LabLayout.UnderlayBridge, "mtu", $"{Mtu}", "type", "bridge"] : [],
                ["link", "set", LabLayout.UnderlayBridge, "up"])));
        changes.AddRange(await PortAsync(LabPlan.UnderlayId, layout.OutsideNamespace, "outside", $"{plan.Addresses.OutsideAddress}/{Prefix}", links, ct).ConfigureAwait(false));
        if (!Namespaces.Exists(layout.OutsideNamespace) || TxChecksumOffload(layout.OutsideNamespace))
            changes.Add(new Change(LabPlan.UnderlayId, $"tx checksum offload off on {layout.OutsideNamespace}:{LabLayout.NodeInterface}", _ =>
            {
                SetTxChecksumOffload(layout.OutsideNamespace, on: false);
                return Task.CompletedTask;
            }));
        return changes;
    }

    public async Task<IReadOnlyList<Change>> NodeAsync(NodeAddresses node, CancellationToken ct)
    {
        var step = LabPlan.MachineId(node.Node.Name);
        var links = await LinkState.ReadAsync(run, layout.UnderlayNamespace, ct).ConfigureAwait(false);
        var changes = (await PortAsync(step, layout.NodeNamespace(node.Node.Name), node.Node.Name, $"{node.UnderlayAddress}/{Prefix}", links, ct).ConfigureAwait(false)).ToList();
        var nodeNs = layout.NodeNamespace(node.Node.Name);
        if (!Namespaces.Exists(nodeNs) || await ReadSysctl(nodeNs, "net/ipv4/ip_forward").ConfigureAwait(false) != "1"
            || await ReadSysctl(nodeNs, "net/bridge/bridge-nf-call-iptables").ConfigureAwait(false) is "0")
            changes.Add(new Change(step, $"forwarding and bridge netfilter on in {nodeNs}", c => EnableForwardingAsync(nodeNs, c)));
        return changes;
    }

    public async Task RemoveNodeAsync(string node, CancellationToken ct)
    {
        await _ns.DeleteAsync(layout.NodeNamespace(node), ct).ConfigureAwait(false);
    }

    public async Task RemoveUnderlayAsync(CancellationToken ct)
    {
        await _ns.DeleteAsync(layout.OutsideNamespace, ct).ConfigureAwait(false);
        await _ns.DeleteAsync(layout.UnderlayNamespace, ct).ConfigureAwait(false);
    }

    /// <summary>A namespace plugged into the underlay bridge: veth <paramref name="port"/> on the bridge, eth0 inside.</summary>
    private async Task<IReadOnlyList<Change>> PortAsync(string step, string netns, string port, string address,
        IReadOnlyDictionary<string, LinkState> underlayLinks, CancellationToken ct)
    {
        var changes = new List<Change>();
        if (!Namespaces.Exists(netns))
            changes.Add(new Change(step, $"create namespace {netns}", c => _ns.EnsureAsync(netns, c)));
        var inside = await LinkState.ReadAsync(run, netns, ct).ConfigureAwait(false);
        var hasPort = underlayLinks.TryGetValue(port, out var portLink);
        var hasEth = inside.TryGetValue(LabLayout.NodeInterface, out var eth);
        if (!hasPort || !hasEth)
        {
            changes.Add(new Change(step, $"veth {port} (on {LabLayout.UnderlayBridge}) <-> {netns}:{LabLayout.NodeInterface} {address}", async c =>
            {
                if (hasPort)
                    await Batch(layout.UnderlayNamespace, c, ["link", "del", port]).ConfigureAwait(false);
                await Batch(layout.UnderlayNamespace, c,
                    ["link", "add", port, "mtu", $"{Mtu}", "type", "veth", "peer", "name", LabLayout.NodeInterface, "netns", netns],
                    ["link", "set", port, "master", LabLayout.UnderlayBridge, "up"]).ConfigureAwait(false);
                await Batch(netns, c, ["addr", "add", address, "dev", LabLayout.NodeInterface], ["link", "set", LabLayout.NodeInterface, "mtu", $"{Mtu}", "up"]).ConfigureAwait(false);
            }));
            return changes;
        }
        if (portLink!.Master != LabLayout.UnderlayBridge || !portLink.Up)
            changes.Add(new Change(step, $"{port} attached to {LabLayout.UnderlayBridge} and up", c => Batch(layout.UnderlayNamespace, c, ["link", "set", port, "master", LabLayout.UnderlayBridge, "up"])));
        // The OVS userspace datapath moves the node's address from eth0 onto its underlay bridge: either place is right.
        if (!inside.Values.Any(l => l.Addresses.Contains(address)))
            changes.Add(new Change(step, $"address {address} on {netns}:{LabLayout.NodeInterface}", c => Batch(netns, c, ["addr", "replace", address, "dev", LabLayout.NodeInterface])));
        if (!eth!.Up)
            changes.Add(new Change(step, $"{netns}:{LabLayout.NodeInterface} up", c => Batch(netns, c, ["link", "set", LabLayout.NodeInterface, "up"])));
        return changes;
    }

    /// <summary>
    /// A veth leaves TCP checksums for the "hardware" to fill in; OVS's userspace datapath (the netns nodes' default)
    /// forwards such packets unfinished and the receiver drops them. Senders into it must checksum in software:
    /// netlab-cni does this for pods, this does it for the outside client.
    /// </summary>
    private static bool TxChecksumOffload(string netns)
    {
        try
        {
            using var handle = NetworkNamespace.Open(Namespaces.PathOf(netns));
            return handle.Run(() => Ethtool.GetTxChecksumOffload(LabLayout.NodeInterface));
        }
        catch (NetlinkException)
        {
            return true; // no eth0 yet: it will be made, and then switched off
        }
    }

    private static void SetTxChecksumOffload(string netns, bool on)
    {
        using var handle = NetworkNamespace.Open(Namespaces.PathOf(netns));
        handle.Run(() => Ethtool.SetTxChecksumOffload(LabLayout.NodeInterface, on));
    }

    private async Task EnableForwardingAsync(string netns, CancellationToken ct)
    {
        await _ns.Sysctl(netns, "net.ipv4.ip_forward", "1", ct).ConfigureAwait(false);
        // Pods on one node talk over the node bridge; without br_netfilter their replies skip conntrack and a
        // Service's DNAT is never undone. The module is global, the switch is per namespace.
        await run.TryRunAsync("modprobe", ["br_netfilter"], cancellationToken: ct).ConfigureAwait(false);
        await _ns.Sysctl(netns, "net.bridge.bridge-nf-call-iptables", "1", ct).ConfigureAwait(false);
    }

    private async Task<string?> ReadSysctl(string netns, string key)
    {
        var result = await _ns.TryExec(netns, ["cat", $"/proc/sys/{key}"]).ConfigureAwait(false);
        return result.Succeeded ? result.StandardOutput.Trim() : null;
    }

    /// <summary>Runs several <c>ip</c> commands (argument lists; an empty one is skipped) in one process (<c>ip -batch</c>): one fork instead of many.</summary>
    private Task<CommandResult> Batch(string netns, CancellationToken ct, params string[][] commands) =>
        run.RunAsync("ip", ["-n", netns, "-batch", "-"], stdin: IpBatch.Script(commands.Where(c => c.Length > 0)), cancellationToken: ct);
}
