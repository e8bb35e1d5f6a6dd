using System.Collections.Immutable;
using System.Net;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;

namespace Provisioner.Fabric.Tests;

/// <summary>Labs built in code for the fabric specs: n1 (control plane), n2, n3... on the netns backend.</summary>
internal static class Labs
{
    public static LabConfig Of(FabricKind kind, int nodes, Backend backend = Backend.Netns, string nodeCidr = "192.168.64.0/24",
        int mtu = 0, OvsDatapath? datapath = null) => new()
    {
        Name = "fab",
        Backend = backend,
        Network = new NetworkSpec { Fabric = kind, NodeCidr = nodeCidr, Mtu = mtu, OvsDatapath = datapath },
        Nodes = [.. Enumerable.Range(1, nodes).Select(i => new NodeSpec
        {
            Name = $"n{i}", Role = i == 1 ? NodeRole.ControlPlane : NodeRole.Worker, Memory = ByteSize.FromGiB(4),
            PodCidr = $"10.244.{i - 1}.0/24", // pinned, so that the specs can name each node's subnet
        })],
    };

    public static LabPlan Plan(FabricKind kind, int nodes, Backend backend = Backend.Netns, string nodeCidr = "192.168.64.0/24") =>
        LabPlan.For(Of(kind, nodes, backend, nodeCidr));

    public static ImmutableDictionary<string, IPAddress> Addresses(LabPlan plan) =>
        plan.Addresses.Nodes.ToImmutableDictionary(n => n.Node.Name, n => n.UnderlayAddress);
}
