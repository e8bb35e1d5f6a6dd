using System.Globalization;
using Provisioner.Fabric.Model;
using static Provisioner.Fabric.Convergence.FabricCommand;

namespace Provisioner.Fabric.Convergence.Items;

/// <summary>An OVS bridge; <paramref name="Secure"/> means only netlab's flows forward (no implicit NORMAL flow).</summary>
internal sealed record OvsBridgeItem(string Name, string Datapath, bool Secure) : FabricItem
{
    public override int Rank => Ranks.Device;
    public override string Line => $"ovs-bridge {Name} datapath={Datapath}" + (Secure ? " fail-mode=secure" : "");
    /// <remarks>The bridge's internal port is brought up by the address item that puts an address on it, so that all
    /// OVS changes of a node run as one ovs-vsctl transaction.</remarks>
    public override IEnumerable<FabricCommand> Add(FabricTarget target) =>
    [
        Vsctl(target, ["--may-exist", "add-br", Name, "--", "set", "bridge", Name, $"datapath_type={Datapath}",
            .. Secure ? ["fail_mode=secure"] : Array.Empty<string>()]),
    ];
    public override IEnumerable<FabricCommand> Remove(FabricTarget target) => [Vsctl(target, "--if-exists", "del-br", Name)];
}

/// <summary>A plain port on an OVS bridge (the underlay interface on the underlay bridge).</summary>
internal sealed record OvsPortItem(string Bridge, string Port) : FabricItem
{
    public override int Rank => Ranks.Port;
    public override string Line => $"ovs-port {Bridge} {Port}";
    public override IEnumerable<FabricCommand> Add(FabricTarget target) => [Vsctl(target, "--may-exist", "add-port", Bridge, Port)];
    public override IEnumerable<FabricCommand> Remove(FabricTarget target) => [Vsctl(target, "--if-exists", "del-port", Bridge, Port)];
}

/// <summary>A VXLAN port to one peer: <c>options:remote_ip</c>, <c>options:key</c> = the VNI.</summary>
internal sealed record OvsTunnelItem(string Bridge, string Port, string Remote, int Vni, int DstPort) : FabricItem
{
    public override int Rank => Ranks.Port;
    public override string Line => $"tunnel {Port} remote={Remote} vni={Vni}" + (DstPort == FabricNames.VxlanUdpPort ? "" : $" dstport={DstPort}");
    public override IEnumerable<FabricCommand> Add(FabricTarget target) =>
    [
        Vsctl(target, ["--may-exist", "add-port", Bridge, Port, "--", "set", "interface", Port, "type=vxlan",
            $"options:remote_ip={Remote}", $"options:key={Vni}",
            .. DstPort == FabricNames.VxlanUdpPort ? Array.Empty<string>() : [$"options:dst_port={DstPort}"]]),
    ];
    public override IEnumerable<FabricCommand> Remove(FabricTarget target) => [Vsctl(target, "--if-exists", "del-port", Bridge, Port)];
}

/// <summary>The MTU OVS keeps on an interface (<c>mtu_request</c>; OVS would otherwise follow its ports).</summary>
internal sealed record OvsMtuItem(string Interface, int Mtu) : FabricItem
{
    public override int Rank => Ranks.Mtu;
    public override string Line => $"ovs-mtu {Interface} {Mtu}";
    public override IEnumerable<FabricCommand> Add(FabricTarget target) =>
        [Vsctl(target, "set", "interface", Interface, $"mtu_request={Mtu}")];
    public override IEnumerable<FabricCommand> Remove(FabricTarget target) => [];
}

/// <summary>
/// An OpenFlow flow netlab owns. Its cookie is netlab's tag plus a hash of the flow and of what it depends on (the
/// tunnel it outputs to), so observing the bridge only needs the cookies, and a changed tunnel re-issues its flows.
/// </summary>
internal sealed record FlowItem(string Bridge, ulong Cookie, string Flow) : FabricItem
{
    public override int Rank => Ranks.Flow;
    public override string Line => $"flow {Bridge} {Flow}";
    public override string Key => $"flow {Bridge} cookie={CookieText}";
    public string CookieText => "0x" + Cookie.ToString("x", CultureInfo.InvariantCulture);

    /// <param name="flow">Match and actions in ovs-ofctl syntax: <c>priority=100,ip,in_port=LOCAL actions=output:vx-b</c>.</param>
    /// <param name="dependsOn">The line of the item the flow refers to, folded into the cookie.</param>
    public static FlowItem Of(string bridge, string flow, string dependsOn = "") =>
        new(bridge, FabricNames.FlowCookieTag | (Fnv1a($"{bridge}|{flow}|{dependsOn}") & ~FabricNames.FlowCookieMask), flow);

    public override IEnumerable<FabricCommand> Add(FabricTarget target) =>
        [Ofctl(target, "add-flow", Bridge, $"cookie={CookieText},{Flow.Replace(" actions=", ",actions=", StringComparison.Ordinal)}")];
    public override IEnumerable<FabricCommand> Remove(FabricTarget target) =>
        [Ofctl(target, "del-flows", Bridge, $"cookie={CookieText}/-1")];

    private static ulong Fnv1a(string text)
    {
        var hash = 0xcbf29ce484222325UL;
        foreach (var c in text)
        {
            hash ^= c;
            hash *= 0x100000001b3UL;
        }
        return hash;
    }
}
