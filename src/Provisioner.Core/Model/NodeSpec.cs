namespace Provisioner.Core.Model;

/// <summary>One node of the lab: a Multipass VM, or a network namespace on the netns backend.</summary>
public sealed record NodeSpec
{
    public required string Name { get; init; }
    public NodeRole Role { get; init; } = NodeRole.Worker;
    public int Cpus { get; init; } = 2;
    public ByteSize Memory { get; init; } = ByteSize.FromGiB(2);
    public ByteSize Disk { get; init; } = ByteSize.FromGiB(20);

    /// <summary>
    /// This node's pod subnet (a <c>network.nodePodPrefix</c> slice of <c>network.podCidr</c>), when the learner pins
    /// one; null means a stable slice chosen from a hash of the node's name (see <c>PodSubnetAllocator</c>).
    /// </summary>
    public string? PodCidr { get; init; }

    public bool IsControlPlane => Role == NodeRole.ControlPlane;
}
