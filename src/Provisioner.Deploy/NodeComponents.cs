using System.Collections.Immutable;
using System.Net;
using System.Text.RegularExpressions;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Core.Validation;
using Provisioner.Fabric.Model;
using Provisioner.Fabric.Planning;
using Provisioner.ServiceRules.Sources;

namespace Provisioner.Deploy;

/// <summary>
/// The node components' documents: the node's <see cref="NodeFabric"/> (<see cref="FabricJson"/>) and its
/// <see cref="NodeServicesDocument"/>, with one trigger line per tunnel, route and flow, and per service port.
/// On the netns backend every address is planned, so the fabric document is complete. On VMs the underlay addresses
/// are known only once the VMs run: the document leaves them empty and the step passes them as
/// <c>--node-address NAME=IP</c>; its trigger lines name the node instead (<c>remote=&lt;worker2&gt;</c>), so the
/// preview shows which tunnel changes while a new address shows as a changed address variable.
/// </summary>
public sealed class NodeComponents : INodeComponents
{
    public static NodeComponents Instance { get; } = new();

    public NodeDocument Fabric(LabPlan plan, string node)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var planned = FabricPlanner.PlannedUnderlayAddresses(plan);
        if (plan.Lab.Backend == Backend.Netns)
        {
            var fabric = FabricPlanner.For(plan, node, planned, new FabricOptions { UnderlayInterface = FabricNames.NetnsUnderlayInterface });
            return new NodeDocument(FabricJson.Serialize(fabric), fabric.Triggers);
        }
        if (plan.Lab.Network.OvsDatapath == OvsDatapath.Netdev && plan.Lab.Network.Fabric == FabricKind.OvsVxlan)
            throw new LabConfigException([new ConfigProblem("network.ovsDatapath", "netdev",
                "the OVS userspace datapath needs each VM's underlay interface, which netlab does not know on VMs",
                "pulumi config set --path 'network.ovsDatapath' system")]);
        // The planned addresses stand in for the VMs' ones: they give every line its shape, then are named.
        var standIn = FabricPlanner.For(plan, node, planned);
        return new NodeDocument(FabricJson.Serialize(standIn.WithoutAddresses()), [.. standIn.Triggers.Select(l => Symbolic(l, planned))]);
    }

    public NodeDocument ServiceRules(LabPlan plan, string node)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var document = ServiceDocuments.For(plan, node);
        return new NodeDocument(document.Serialize(), ServiceDocuments.Lines(plan, document));
    }

    /// <summary>Writes each stand-in address as <c>&lt;node&gt;</c> and each MAC derived from one as <c>&lt;node-mac&gt;</c>.</summary>
    private static string Symbolic(string line, IReadOnlyDictionary<string, IPAddress> standIns)
    {
        foreach (var (node, address) in standIns.OrderByDescending(a => a.Value.ToString().Length))
        {
            line = Regex.Replace(line, $@"(?<![0-9.]){Regex.Escape(address.ToString())}(?![0-9])", $"<{node}>");
            line = line.Replace(FabricNames.VxlanMac(address.ToString()), $"<{node}-mac>", StringComparison.Ordinal);
        }
        return line;
    }
}
