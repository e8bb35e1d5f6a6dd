using System.Collections.Immutable;
using Provisioner.Deploy.Multipass;
using Provisioner.VmLab.Cluster;
using Provisioner.VmLab.Verify;

namespace Provisioner.VmLab.Status;

/// <summary>A node of the VM lab: its VM as Multipass has it and its Node as Kubernetes has it.</summary>
public sealed record VmNodeStatus(VmNode Node, string VmState, string? Address, NodeState? Kubernetes);

/// <summary>A stack pod next to the pod on the cluster (null when it is not there).</summary>
public sealed record VmPodStatus(string Name, string Node, PodState? Pod);

/// <summary>A stack service next to the Service on the cluster and its endpoints from the EndpointSlices.</summary>
public sealed record VmServiceStatus(string Namespace, string Name, ServiceState? Service, ImmutableArray<EndpointState> Endpoints);

/// <summary>
/// What <c>netlab status</c> shows for the VM lab, read with <c>multipass info</c> and <c>kubectl get -o json</c>:
/// the lab's nodes, its pods (only those labelled as this lab's) and its services with their endpoints.
/// </summary>
public sealed record VmLabStatus(ImmutableArray<VmNodeStatus> Nodes, ImmutableArray<VmPodStatus> Pods, ImmutableArray<VmServiceStatus> Services)
{
    public static async Task<VmLabStatus> ReadAsync(VmLabTarget target, VmProbes probes, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(probes);
        var kubectl = probes.Kubectl;
        var selector = WorkloadLabels.Selector(target.Lab.Name);
        var nodes = ClusterState.Nodes(await kubectl.GetJsonAsync("nodes", ct: ct).ConfigureAwait(false)).ToDictionary(n => n.Name, StringComparer.Ordinal);
        var pods = ClusterState.Pods(await kubectl.GetJsonAsync("pods", selector, ct: ct).ConfigureAwait(false))
            .ToDictionary(p => $"{p.Namespace}/{p.Name}", StringComparer.Ordinal);
        var services = ClusterState.Services(await kubectl.GetJsonAsync("services", selector, ct: ct).ConfigureAwait(false))
            .ToDictionary(s => $"{s.Namespace}/{s.Name}", StringComparer.Ordinal);
        var endpoints = ClusterState.Endpoints(await kubectl.GetJsonAsync("endpointslices", ct: ct).ConfigureAwait(false));

        var nodeStatus = new List<VmNodeStatus>();
        foreach (var node in target.Nodes)
        {
            var info = await probes.InfoAsync(node.Vm, ct).ConfigureAwait(false);
            var address = info is { IsRunning: true, IPv4.IsEmpty: false }
                ? Multipass.NodeAddress.Choose(info, target.Lab.Network.NodeCidr).Address.ToString() : null;
            nodeStatus.Add(new VmNodeStatus(node, info?.State ?? "missing", address, nodes.GetValueOrDefault(node.Vm)));
        }
        return new VmLabStatus([.. nodeStatus],
            [.. target.Lab.Pods.Select(p => new VmPodStatus(p.Name, p.Node, pods.GetValueOrDefault($"{p.Namespace}/{p.Name}")))],
            [.. target.Lab.Services.Select(s => new VmServiceStatus(s.Namespace, s.Name, services.GetValueOrDefault($"{s.Namespace}/{s.Name}"),
                [.. endpoints.Where(e => e.Namespace == s.Namespace && e.Service == s.Name)]))]);
    }
}
