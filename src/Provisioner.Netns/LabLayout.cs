using Provisioner.Core.Model;

namespace Provisioner.Netns;

/// <summary>
/// Where a netns lab keeps everything: namespace names prefixed with the lab's name (so two labs coexist and the
/// host's own interfaces are never touched) and a state directory under /run (tmpfs: it goes when the namespaces do).
/// </summary>
public sealed record LabLayout(string Lab, string StateRoot)
{
    public const string DefaultStateRoot = "/run/netlab";

    public static LabLayout For(LabConfig lab, string? stateRoot = null) => new(lab.Name, stateRoot ?? DefaultStateRoot);

    /// <summary>The namespace holding the underlay bridge that every node's eth0 plugs into.</summary>
    public string UnderlayNamespace => $"{Lab}-underlay";

    /// <summary>A client outside the nodes, on the underlay: where "from outside the cluster" traffic starts.</summary>
    public string OutsideNamespace => $"{Lab}-outside";

    public string NodeNamespace(string node) => $"{Lab}-{node}";

    public string PodNamespace(string pod) => $"{Lab}-pod-{pod}";

    /// <summary>The underlay bridge, inside <see cref="UnderlayNamespace"/>.</summary>
    public const string UnderlayBridge = "ul0";

    /// <summary>Each node's (and the outside client's) underlay interface, inside its own namespace.</summary>
    public const string NodeInterface = Fabric.Model.FabricNames.NetnsUnderlayInterface;

    /// <summary>The pods' interface, as a runtime names it.</summary>
    public const string PodInterface = "eth0";

    public string Directory => Path.Combine(StateRoot, Lab);
    public string StateFile => Path.Combine(Directory, "state.json");
    public string NodeDirectory(string node) => Path.Combine(Directory, "nodes", node);
    public string CniConfigDirectory(string node) => Path.Combine(NodeDirectory(node), "net.d");
    public string ConflistPath(string node) => Path.Combine(CniConfigDirectory(node), "10-netlab.conflist");
    public string IpamDirectory(string node) => Path.Combine(NodeDirectory(node), "ipam");
    public string OvsDirectory(string node) => Path.Combine(NodeDirectory(node), "ovs");
    /// <summary>The node's last-applied service rules, trusted only while the kernel's nf_tables generation matches.</summary>
    public string ServiceRulesStatePath(string node) => Path.Combine(NodeDirectory(node), "service-rules.state");
    public string PodDirectory(string pod) => Path.Combine(Directory, "pods", pod);
    public string PodResultPath(string pod) => Path.Combine(PodDirectory(pod), "cni-result.json");
    public string PodPidPath(string pod) => Path.Combine(PodDirectory(pod), "server.pid");
    public string PodLogPath(string pod) => Path.Combine(PodDirectory(pod), "server.log");

    /// <summary>
    /// Files <c>ip netns exec</c> bind-mounts over <c>/etc</c> for this namespace (iproute2's convention): where a pod's
    /// resolv.conf goes, so <c>ip netns exec</c> and <c>netlab exec</c> see the one kubelet would write.
    /// </summary>
    public static string EtcDirectory(string netns) => Path.Combine(EtcNetnsRoot, netns);

    public const string EtcNetnsRoot = "/etc/netns";

    public static string ResolvConfPath(string netns) => Path.Combine(EtcDirectory(netns), "resolv.conf");

    public string DnsConfigPath => Path.Combine(PodDirectory(Core.Planning.ClusterDns.PodName), "dnsmasq.conf");
    public string DnsRecordsPath => Path.Combine(PodDirectory(Core.Planning.ClusterDns.PodName), "records.txt");
    public string DnsPidPath => Path.Combine(PodDirectory(Core.Planning.ClusterDns.PodName), "dnsmasq.pid");
    public string DnsLogPath => Path.Combine(PodDirectory(Core.Planning.ClusterDns.PodName), "dnsmasq.log");

    /// <summary>The address label (on the node's loopback) of the LoadBalancer and external IPs a node announces.</summary>
    public const string AnnounceLabel = "lo:netlab-lb";

    /// <summary>The container ID a runtime would pass to the CNI plugin for this pod.</summary>
    public string ContainerId(string pod) => $"netlab-{Lab}-{pod}";
}
