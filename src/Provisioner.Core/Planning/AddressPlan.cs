using System.Collections.Immutable;
using System.Net;
using Provisioner.Core.Model;

namespace Provisioner.Core.Planning;

/// <summary>A node's place in the address plan.</summary>
/// <param name="Index">Position in the stack's node list; fixes the node's netns underlay address (not its pod subnet).</param>
/// <param name="PodSubnet">This node's slice of the pod CIDR: pinned, or stable under reordering (<see cref="PodSubnetAllocator"/>).</param>
/// <param name="Gateway">The pods' default gateway: the first address of <paramref name="PodSubnet"/>, on the node bridge.</param>
/// <param name="UnderlayAddress">The node's address on a netns lab's underlay; on Multipass the VM's address is discovered instead.</param>
public sealed record NodeAddresses(
    NodeSpec Node, int Index, IPNetwork2 PodSubnet, IPAddress Gateway, IPAddress RangeStart, IPAddress RangeEnd, IPAddress UnderlayAddress);

/// <summary>A service with its addresses resolved: ClusterIP and node ports allocated where the stack left them out.</summary>
public sealed record PlannedService(ServiceSpec Spec, IPAddress? ClusterIP, ImmutableArray<ServicePortSpec> Ports)
{
    /// <summary>A LoadBalancer service's EXTERNAL-IP from the pool; null for other types, or while the pool has none.</summary>
    public IPAddress? LoadBalancerIP { get; init; }
}

/// <summary>
/// Every address the lab uses, derived deterministically from the stack: the same stack always gives the same plan,
/// and adding, removing or reordering nodes or services leaves every other node's pod subnet and service's addresses
/// where they were (see <see cref="PodSubnetAllocator"/> and the service allocator for the one exception of each).
/// </summary>
public sealed record AddressPlan
{
    public required IPNetwork2 PodCidr { get; init; }
    public required IPNetwork2 ServiceCidr { get; init; }
    public required IPNetwork2 NodeCidr { get; init; }

    /// <summary>The <c>kubernetes</c> Service's address: the first of the service range.</summary>
    public required IPAddress KubernetesServiceIP { get; init; }

    /// <summary>CoreDNS's address: the 10th of the service range, as kubeadm chooses it.</summary>
    public required IPAddress ClusterDns { get; init; }

    /// <summary>On a netns lab, the address of the "outside" client on the underlay (the first of the node range).</summary>
    public required IPAddress OutsideAddress { get; init; }

    /// <summary>The pool of LoadBalancer addresses (<c>network.loadBalancerCidr</c> or its default); null if there is none.</summary>
    public IPNetwork2? LoadBalancerPool { get; init; }

    public required int PodMtu { get; init; }
    public required ImmutableArray<NodeAddresses> Nodes { get; init; }
    public required ImmutableArray<PlannedService> Services { get; init; }

    public NodeAddresses Node(string name) =>
        Nodes.FirstOrDefault(n => n.Node.Name == name) ?? throw new KeyNotFoundException($"node '{name}' is not in the stack");

    /// <summary>Offset of the first node's underlay address within the node range (.1 is the outside client).</summary>
    public const int FirstNodeOffset = 11;

    /// <summary>Plans the addresses of a valid lab (see <see cref="Validation.LabValidator"/>).</summary>
    public static AddressPlan For(LabConfig lab)
    {
        var podCidr = Cidr.Parse(lab.Network.PodCidr);
        var serviceCidr = Cidr.Parse(lab.Network.ServiceCidr);
        var nodeCidr = Cidr.Parse(lab.Network.NodeCidr);
        var subnetSize = 1L << (32 - lab.Network.NodePodPrefix);
        var slices = PodSubnetAllocator.Slices(lab);

        var nodes = lab.Nodes.Select((node, i) =>
        {
            var subnet = IPNetwork2.Parse(Cidr.Nth(podCidr, slices[node.Name] * subnetSize).ToString(), (byte)lab.Network.NodePodPrefix);
            return new NodeAddresses(node, i, subnet,
                Gateway: Cidr.Nth(subnet, 1), RangeStart: Cidr.Nth(subnet, 2), RangeEnd: Cidr.Nth(subnet, subnetSize - 2),
                UnderlayAddress: Cidr.Nth(nodeCidr, FirstNodeOffset + i));
        }).ToImmutableArray();

        return new AddressPlan
        {
            PodCidr = podCidr,
            ServiceCidr = serviceCidr,
            NodeCidr = nodeCidr,
            KubernetesServiceIP = Cidr.Nth(serviceCidr, 1),
            ClusterDns = Cidr.Nth(serviceCidr, 10),
            OutsideAddress = Cidr.Nth(nodeCidr, 1),
            PodMtu = Overhead.PodMtu(lab.Network),
            Nodes = nodes,
            LoadBalancerPool = LoadBalancing.LoadBalancerAllocator.Pool(lab.Network),
            Services = LoadBalancing.LoadBalancerAllocator.Assign(ServiceAddressAllocator.Allocate(lab, serviceCidr), LoadBalancing.LoadBalancerAllocator.Pool(lab.Network)),
        };
    }
}
