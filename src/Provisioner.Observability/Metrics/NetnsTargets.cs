using System.Net;
using Provisioner.Core.Planning;
using Provisioner.Netns;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Sources;
using Provisioner.StackRules;

namespace Provisioner.Observability.Metrics;

/// <summary>The targets of a netns lab: its node and pod namespaces, and the service table its rules were built from.</summary>
public static class NetnsTargets
{
    public static LabTargets Build(LabPlan plan, LabLayout layout, Func<string, string?> podAddress)
    {
        var addresses = plan.Lab.Pods.Select(p => (p.Name, Address: podAddress(p.Name))).Where(p => p.Address is not null).ToList();
        var table = StackServiceTable.Build(plan, pod => addresses.FirstOrDefault(a => a.Name == pod).Address is { } a ? IPAddress.Parse(a) : null);
        var backend = StackServiceTable.Backend(plan.Lab.Network.ServiceRules);
        var nodes = plan.Addresses.Nodes.Select(n => new NodeTarget(n.Node.Name, layout.NodeNamespace(n.Node.Name), backend,
            ServiceResolver.Resolve(table, StackServiceTable.Node(plan, n.Node.Name, n.UnderlayAddress)).Ports,
            plan.Lab.Network.Fabric == Core.Model.FabricKind.OvsVxlan ? Path.Combine(layout.OvsDirectory(n.Node.Name), "db.sock") : null)).ToList();
        List<WatchedNamespace> namespaces =
        [
            new(layout.UnderlayNamespace, NamespaceRole.Underlay, "underlay"),
            new(layout.OutsideNamespace, NamespaceRole.Outside, "outside"),
            .. plan.Lab.Nodes.Select(n => new WatchedNamespace(layout.NodeNamespace(n.Name), NamespaceRole.Node, n.Name)),
            .. plan.Lab.Pods.Select(p => new WatchedNamespace(layout.PodNamespace(p.Name), NamespaceRole.Pod, p.Name)),
        ];
        return new LabTargets(plan.Lab.Name, nodes, namespaces,
            addresses.GroupBy(a => a.Address!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Name, StringComparer.Ordinal));
    }
}
