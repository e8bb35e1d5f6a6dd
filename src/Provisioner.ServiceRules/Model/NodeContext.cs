namespace Provisioner.ServiceRules.Model;

/// <summary>
/// The node the rules are compiled for. <see cref="ClusterCidr"/> is the pod CIDR of the whole cluster: traffic to a
/// ClusterIP from outside it is masqueraded (kube-proxy's --cluster-cidr). <see cref="NodeName"/> selects the local
/// endpoints for the Local traffic policies.
/// <see cref="MasqueradeAll"/> masquerades every connection to a ClusterIP, as kube-proxy's --masquerade-all: needed
/// where pods share a bridge the kernel's conntrack does not see (Open vSwitch), or a same-node endpoint's reply would
/// go straight back to the client pod without its NAT undone.
/// <see cref="EgressMasquerade"/> source-NATs pod traffic (from <see cref="ClusterCidr"/>) to destinations outside it to
/// the node's address, as bridge CNIs' ipMasq and flannel do, so replies from outside the cluster find their way back.
/// </summary>
public sealed record NodeContext(
    string NodeName,
    IReadOnlyList<string> NodeIPs,
    string ClusterCidr,
    string ServiceCidr,
    int NodePortMin = 30000,
    int NodePortMax = 32767,
    bool MasqueradeAll = false,
    bool EgressMasquerade = true);
