using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Host.Iproute;
using Provisioner.Netns;

namespace Provisioner.Observability.Drills;

/// <summary>The catalogue: each drill computed for a lab (its node names, subnets and services).</summary>
public static class DrillCatalog
{
    /// <param name="podAddress">A pod's address (its CNI result), for drills aimed at one pod's flows.</param>
    public static IReadOnlyList<Drill> For(LabPlan plan, LabLayout layout, Func<string, string?> podAddress)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(layout);
        var lab = new DrillLab(plan, layout, podAddress);
        return [.. FabricDrills.For(lab), .. NodeDrills.For(lab), .. ServiceDrills.For(lab), .. DnsDrills.For(lab), .. PolicyDrills.For(lab)];
    }
}

/// <summary>What the drills of a lab are computed from: its plan, its namespaces, and the pods a learner would use.</summary>
internal sealed record DrillLab(LabPlan Plan, LabLayout Layout, Func<string, string?> PodAddress)
{
    public IEnumerable<PodSpec> UserPods => Plan.Lab.Pods.Where(p => !ClusterDns.IsDnsPod(p));

    /// <summary>Two nodes that both run pods: where a cross-node failure shows.</summary>
    public IReadOnlyList<NodeAddresses> NodePair
    {
        get
        {
            var withPods = UserPods.Select(p => p.Node).ToHashSet(StringComparer.Ordinal);
            return [.. Plan.Addresses.Nodes.Where(n => withPods.Contains(n.Node.Name)).Take(2)];
        }
    }

    public string NodeNs(string node) => Layout.NodeNamespace(node);

    /// <summary><c>ip netns exec NS ARGS...</c> as a drill command.</summary>
    public DrillCommand InNode(string node, params string[] args) => new(NetnsExec.Argv(NodeNs(node), args[0], args[1..]));

    public bool IsTunnel => Plan.Lab.Network.Fabric is FabricKind.LinuxVxlan or FabricKind.OvsVxlan;
}
