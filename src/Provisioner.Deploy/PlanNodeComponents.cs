using System.Collections.Immutable;
using System.Text.Json;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;

namespace Provisioner.Deploy;

/// <summary>
/// The node components' desired state as the plan states it (fabric: this node's pod subnet and every peer's;
/// service rules: each service's addresses and ports). Stands in until the fabric and service-rules components
/// provide their own documents through <see cref="INodeComponents"/>.
/// </summary>
public sealed class PlanNodeComponents : INodeComponents
{
    public static PlanNodeComponents Instance { get; } = new();

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public NodeDocument Fabric(LabPlan plan, string node)
    {
        var self = plan.Addresses.Node(node);
        var network = plan.Lab.Network;
        var peers = plan.Addresses.Nodes.Where(n => n.Node.Name != node)
            .Select(n => new { node = n.Node.Name, podSubnet = n.PodSubnet.ToString() }).ToList();
        var document = new
        {
            node, fabric = EnumNames.Of(network.Fabric), network.Vni, mtu = plan.Addresses.PodMtu,
            podSubnet = self.PodSubnet.ToString(), gateway = self.Gateway.ToString(), peers,
        };
        ImmutableArray<string> lines =
        [
            $"{EnumNames.Of(network.Fabric)} vni {network.Vni} mtu {plan.Addresses.PodMtu}: pods {self.PodSubnet} via {self.Gateway}",
            .. peers.Select(p => $"peer {p.node}: pods {p.podSubnet}"),
        ];
        return new NodeDocument(JsonSerializer.Serialize(document, Json), lines);
    }

    public NodeDocument ServiceRules(LabPlan plan, string node)
    {
        var services = plan.Addresses.Services.Select(s => new
        {
            name = s.Spec.Name, type = s.Spec.Type.ToString(), clusterIP = s.ClusterIP?.ToString(),
            ports = s.Ports.Select(p => new { p.Port, targetPort = p.EffectiveTargetPort, protocol = p.Protocol.ToString(), p.NodePort }),
        }).ToList();
        var lines = plan.Addresses.Services.SelectMany(s => s.Ports.Select(p =>
            $"{s.Spec.Name} {s.Spec.Type} {s.ClusterIP?.ToString() ?? "headless"}:{p.Port}/{p.Protocol}" +
            (p.NodePort > 0 ? $" nodePort {p.NodePort}" : "") + $" -> {p.EffectiveTargetPort}")).ToImmutableArray();
        return new NodeDocument(JsonSerializer.Serialize(new { node, services }, Json), lines);
    }
}
