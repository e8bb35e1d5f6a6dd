using Provisioner.Core.Model;

namespace Provisioner.Fabric.Planning;

/// <summary>What the planner needs beyond the stack: facts of the place the fabric runs.</summary>
public sealed record FabricOptions
{
    /// <summary>
    /// Overrides the OVS datapath. Null: <c>network.ovsDatapath</c> from the stack, else the backend's default
    /// (kernel <c>system</c> on Multipass VMs, userspace <c>netdev</c> on the netns backend).
    /// </summary>
    public OvsDatapath? OvsDatapath { get; init; }

    /// <summary>The nodes' underlay interface name (e.g. <c>eth0</c>); required by the OVS userspace datapath.</summary>
    public string? UnderlayInterface { get; init; }
}
