using System.Net;
using Provisioner.Core.Planning;
using Provisioner.Host.Processes;
using Provisioner.Netns.Cni;
using Provisioner.Netns.Layers;
using Provisioner.Netns.Pods;
using Provisioner.Rendering;
using Provisioner.Rendering.Models;

namespace Provisioner.Netns;

/// <summary>Wires a netns lab: one layer per kind of plan step, the same plugin, fabric and rules a VM node runs.</summary>
public static class NetnsLabBuilder
{
    public static NetnsLab Create(LabPlan plan, NetnsOptions options, ProcessRunner? runner = null)
    {
        var run = runner ?? ProcessRunner.Default;
        var layout = LabLayout.For(plan.Lab, options.StateRoot);
        var pods = PodReconciler(plan, options, run, layout);
        var machines = new MachineLayer(new MachineReconciler(run, layout, plan), plan);
        var layers = new Dictionary<StepKind, IStepLayer>
        {
            [StepKind.Underlay] = machines,
            [StepKind.Machine] = machines,
            [StepKind.Cni] = new CniConfigLayer(layout, node => Conflist(plan, layout, node), plan),
            [StepKind.Fabric] = new FabricLayer(plan, layout, run),
            [StepKind.Pod] = new PodLayer(pods, plan),
            [StepKind.ServiceRules] = new ServiceRulesLayer(plan, layout, pod => Parse(pods.AddressOf(pod))),
            [StepKind.ClusterDns] = new Dns.ClusterDnsLayer(plan, layout, run, pod => Parse(pods.AddressOf(pod))),
            [StepKind.LoadBalancer] = new LoadBalancers.LoadBalancerLayer(plan, layout, run, pod => Parse(pods.AddressOf(pod))),
            [StepKind.NetworkPolicy] = new Policy.NetworkPolicyLayer(plan, layout, run, pod => Parse(pods.AddressOf(pod))),
        };
        return new NetnsLab(plan, layout, layers, new Namespaces(run));
    }

    public static PodReconciler PodReconciler(LabPlan plan, NetnsOptions options, ProcessRunner run, LabLayout? layout = null)
    {
        layout ??= LabLayout.For(plan.Lab, options.StateRoot);
        return new PodReconciler(run, layout, new CniRuntime(run, options.CniPluginDirectory), new PodSupervisor(layout, options.NetlabCommand),
            pod => Core.Planning.ClusterDns.IsDnsPod(pod) ? null
                : Core.Planning.ClusterDns.ResolvConf(plan.Addresses.ClusterDns, pod.Namespace, plan.Lab.Network.ClusterDomain));
    }

    /// <summary>The node's conflist from the VMs' template, pointed at this lab's per-node IPAM directory and OVS.</summary>
    public static string Conflist(LabPlan plan, LabLayout layout, NodeAddresses node)
    {
        var model = RenderModels.Conflist(plan, node.Node.Name) with
        {
            DataDir = layout.IpamDirectory(node.Node.Name),
            OvsDb = plan.Lab.Network.Fabric == Core.Model.FabricKind.OvsVxlan ? $"unix:{Path.Combine(layout.OvsDirectory(node.Node.Name), "db.sock")}" : "",
            Datapath = Core.Model.EnumNames.Of(plan.Lab.Network.OvsDatapath ?? Core.Model.OvsDatapath.Netdev),
        };
        return LabRenderer.RenderConflist(model);
    }

    private static IPAddress? Parse(string? address) => address is null ? null : IPAddress.Parse(address);
}
