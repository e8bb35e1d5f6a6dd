namespace Provisioner.ServiceRules.Policy;

/// <summary>
/// Where each check runs, so that every check sees the connection's real source (before any SNAT) and after Service
/// DNAT (the forward hook runs between the two). A pod's egress is checked on its own node. A pod's ingress is
/// checked on the node of a source pod (for a source in the node's pod subnet) and wherever a source from outside
/// the pod range enters; a connection from a pod on another node is therefore not checked again on the
/// destination's node (where a masquerading fabric may already have replaced its source).
/// </summary>
public static class PolicyPlacement
{
    public static IEnumerable<PodPolicyRules> EgressHere(PolicyTable table, PolicyNode node) =>
        table.Pods.Where(p => p.Egress is not null && p.Node == node.Name);

    public static IEnumerable<PodPolicyRules> Ingress(PolicyTable table) => table.Pods.Where(p => p.Ingress is not null);
}
