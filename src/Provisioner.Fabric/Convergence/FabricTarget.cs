namespace Provisioner.Fabric.Convergence;

/// <summary>
/// Where a node's fabric lives: a network namespace on this host (the netns backend) or the host itself (a VM
/// running <c>netlab node fabric apply</c>), and which Open vSwitch to talk to.
/// </summary>
public sealed record FabricTarget
{
    /// <summary>The node's network namespace; null for the host's own network stack.</summary>
    public string? Netns { get; init; }

    /// <summary>The ovsdb-server socket path (passed as <c>ovs-vsctl --db=unix:PATH</c>); null for the system service's.</summary>
    public string? OvsDbSocket { get; init; }

    /// <summary>The ovs-vswitchd run directory holding the bridges' <c>BRIDGE.mgmt</c> sockets; null for the system service's.</summary>
    public string? OvsRunDir { get; init; }

    /// <summary>The host's own stack with the system Open vSwitch (a VM).</summary>
    public static FabricTarget Host { get; } = new();

    /// <summary>A namespace without OVS (linux-vxlan, routed).</summary>
    public static FabricTarget InNetns(string netns) => new() { Netns = netns };

    public override string ToString() => Netns is null ? "host" : $"netns {Netns}";
}
