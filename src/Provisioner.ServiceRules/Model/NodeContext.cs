namespace Provisioner.ServiceRules.Model;

/// <summary>
/// The node the rules are compiled for. <see cref="ClusterCidr"/> is the pod CIDR of the whole cluster: traffic to a
/// ClusterIP from outside it is masqueraded (kube-proxy's --cluster-cidr). <see cref="NodeName"/> selects the local
/// endpoints for the Local traffic policies.
/// </summary>
public sealed record NodeContext(
    string NodeName,
    IReadOnlyList<string> NodeIPs,
    string ClusterCidr,
    string ServiceCidr,
    int NodePortMin = 30000,
    int NodePortMax = 32767);
