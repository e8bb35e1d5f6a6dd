using Provisioner.ServiceRules.Naming;

namespace Provisioner.ServiceRules.Policy;

/// <summary>
/// Names of the policy rules. iptables chains start with <c>NETLAB-POL-</c> (the service rules leave those alone) and
/// hash the pod as kube-proxy hashes services; nft chains are readable (<c>ingress-default-web-1</c>) in the table
/// <c>ip netlab-policy</c>, apart from the service table.
/// </summary>
public static class PolicyChainNames
{
    public const string Prefix = ChainNames.PolicyPrefix;
    public const string Forward = Prefix + "FORWARD";
    public const string NftTable = "netlab-policy";

    public static string Iptables(string pod, bool ingress) => Prefix + (ingress ? "I-" : "E-") + ChainNames.PortProtoHash(pod, ingress ? "ingress" : "egress")[..15];

    public const string AllowPrefix = Prefix + "A-";

    /// <summary>The chain of one distinct allow (its matches), shared by every pod chain that has it.</summary>
    public static string IptablesAllow(string matches) => AllowPrefix + ChainNames.PortProtoHash(matches, "allow")[..15];

    public static string Nft(string pod, bool ingress) => (ingress ? "ingress-" : "egress-") + pod.Replace('/', '-');
}
