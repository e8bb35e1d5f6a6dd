using Provisioner.Core.Model;
using Provisioner.Core.Planning;

namespace Provisioner.Rendering.Models;

/// <summary>Builds the template models of a node from a lab's plan; the only place that maps the plan to template names.</summary>
public static class RenderModels
{
    public const string DnsDomain = "cluster.local";
    public const string NetworkName = "netlab";
    public const string Bridge = NetworkSpec.NodeBridge;
    public const int ApiServerPort = 6443;

    public static string Hostname(LabConfig lab, string node) => $"{lab.Name}-{node}";

    public static NodeRenderModel ForNode(LabPlan plan, string nodeName, NodePaths? paths = null)
    {
        var lab = plan.Lab;
        var node = plan.Addresses.Node(nodeName);
        var network = lab.Network;
        return new NodeRenderModel(
            new LabModel(lab.Name, lab.Image),
            new NodeModel(node.Node.Name, Hostname(lab, node.Node.Name), EnumNames.Of(node.Node.Role), node.Node.IsControlPlane,
                node.Index, node.PodSubnet.ToString(), node.Gateway.ToString(), Hostname(lab, lab.ControlPlane.Name)),
            new NetworkModel(network.PodCidr, network.NodePodPrefix, network.ServiceCidr, network.NodeCidr,
                plan.Addresses.ClusterDns.ToString(), DnsDomain, EnumNames.Of(network.Fabric), network.Fabric == FabricKind.OvsVxlan,
                EnumNames.Of(network.ServiceProxy), network.ServiceProxy == ServiceProxy.Netlab, plan.Addresses.PodMtu, network.Vni,
                EnumNames.Of(network.ServiceRules), network.ServiceProxy == ServiceProxy.KubeProxy && network.Fabric == FabricKind.OvsVxlan),
            new KubernetesModel(lab.Kubernetes.Version, AptRepository(lab.Kubernetes.Version), lab.Kubernetes.Containerd.SystemdCgroup,
                lab.Kubernetes.Containerd.SandboxImage, ApiServerPort),
            paths ?? NodePaths.Default);
    }

    /// <summary>The pkgs.k8s.io repository of a minor version: one repository per minor, so upgrades are deliberate.</summary>
    public static string AptRepository(string minor) => $"https://pkgs.k8s.io/core:/stable:/v{minor}/deb/";

    /// <summary>netlab-cni's configuration for a node of a VM lab (OVS with the kernel datapath unless the stack says otherwise).</summary>
    public static ConflistModel Conflist(LabPlan plan, string nodeName, NodePaths? paths = null)
    {
        var node = plan.Addresses.Node(nodeName);
        var network = plan.Lab.Network;
        var isOvs = network.Fabric == FabricKind.OvsVxlan;
        return new ConflistModel(
            NetworkName: NetworkName,
            Mode: isOvs ? "ovs" : "bridge",
            Bridge: Bridge,
            IsGateway: true,
            Mtu: plan.Addresses.PodMtu,
            OvsDb: "",
            Datapath: EnumNames.Of(network.OvsDatapath ?? OvsDatapath.System),
            Subnet: node.PodSubnet.ToString(),
            Gateway: node.Gateway.ToString(),
            RangeStart: node.RangeStart.ToString(),
            RangeEnd: node.RangeEnd.ToString(),
            DataDir: (paths ?? NodePaths.Default).CniDataDir,
            ClusterDns: plan.Addresses.ClusterDns.ToString(),
            DnsSearch: [$"default.svc.{DnsDomain}", $"svc.{DnsDomain}", DnsDomain],
            LogFile: "");
    }
}
