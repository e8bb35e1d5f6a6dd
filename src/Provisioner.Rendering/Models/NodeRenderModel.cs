namespace Provisioner.Rendering.Models;

/// <summary>
/// Everything a node's templates may read, as snake_case variables: <c>lab.*</c>, <c>node.*</c>, <c>network.*</c>,
/// <c>kubernetes.*</c>, <c>paths.*</c>. Built from a <see cref="Core.Planning.LabPlan"/> by <see cref="RenderModels"/>.
/// </summary>
public sealed record NodeRenderModel(LabModel Lab, NodeModel Node, NetworkModel Network, KubernetesModel Kubernetes, NodePaths Paths);

public sealed record LabModel(string Name, string Image);

/// <param name="Hostname">The VM's name and hostname, which is also the Kubernetes node name: <c>&lt;lab&gt;-&lt;node&gt;</c>.</param>
/// <param name="ControlPlaneHostname">The control-plane node's hostname (workers join it).</param>
public sealed record NodeModel(
    string Name, string Hostname, string Role, bool IsControlPlane, int Index, string PodSubnet, string Gateway, string ControlPlaneHostname);

/// <param name="NodeCidr">The Multipass network: the node IP is the address a node has inside it, never a NAT address.</param>
/// <param name="UsesOvs">The fabric needs Open vSwitch on the node.</param>
/// <param name="SkipKubeProxy">netlab's service proxy replaces kube-proxy: kubeadm must not install it.</param>
/// <param name="ServiceRules">The rule backend, <c>iptables</c> or <c>nftables</c>: netlab's, or kube-proxy's mode.</param>
/// <param name="KubeProxyMasqueradeAll">
/// kube-proxy on the ovs-vxlan fabric: pod traffic switched by OVS bypasses the host's netfilter, so a Service reply
/// from a same-node endpoint would skip the reverse NAT unless every Service connection is masqueraded.
/// </param>
public sealed record NetworkModel(
    string PodCidr, int NodePodPrefix, string ServiceCidr, string NodeCidr, string ClusterDns, string DnsDomain,
    string Fabric, bool UsesOvs, string ServiceProxy, bool SkipKubeProxy, int PodMtu, int Vni, string ServiceRules,
    bool KubeProxyMasqueradeAll);

/// <param name="Minor">The minor version as the stack says it, e.g. <c>1.35</c>.</param>
/// <param name="AptRepository">The pkgs.k8s.io repository pinned to <paramref name="Minor"/>.</param>
public sealed record KubernetesModel(string Minor, string AptRepository, bool SystemdCgroup, string SandboxImage, int ApiServerPort);
