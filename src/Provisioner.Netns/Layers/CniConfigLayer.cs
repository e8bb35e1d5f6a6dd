using Provisioner.Core.Planning;

namespace Provisioner.Netns.Layers;

/// <summary>
/// The node's CNI config, where the runtime would find it (<c>/etc/cni/net.d</c> on a VM; the lab's state directory
/// here, since every netns "node" shares the host's filesystem). The text comes from the same template as the VMs'.
/// </summary>
public sealed class CniConfigLayer(LabLayout layout, Func<NodeAddresses, string> conflist, LabPlan plan) : IStepLayer
{
    public Task<IReadOnlyList<Change>> PlanAsync(PlanStep step, CancellationToken ct)
    {
        var node = plan.Addresses.Node(step.Node!);
        var path = layout.ConflistPath(node.Node.Name);
        var text = conflist(node);
        IReadOnlyList<Change> changes = File.Exists(path) && File.ReadAllText(path) == text ? [] :
        [
            new Change(step.Id, $"write {path} (pods in {node.PodSubnet}, MTU {plan.Addresses.PodMtu})", _ =>
            {
                Directory.CreateDirectory(layout.CniConfigDirectory(node.Node.Name));
                Directory.CreateDirectory(layout.IpamDirectory(node.Node.Name));
                File.WriteAllText(path + ".tmp", text);
                File.Move(path + ".tmp", path, overwrite: true);
                return Task.CompletedTask;
            }),
        ];
        return Task.FromResult(changes);
    }

    /// <summary>Removes what this step made (conflist, IPAM state) and nothing else: the node's OVS state is the fabric's.</summary>
    public Task RemoveAsync(PlanStep step, CancellationToken ct)
    {
        foreach (var dir in new[] { layout.CniConfigDirectory(step.Node!), layout.IpamDirectory(step.Node!) })
        {
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
        }
        return Task.CompletedTask;
    }
}
