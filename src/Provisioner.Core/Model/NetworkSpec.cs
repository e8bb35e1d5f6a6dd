namespace Provisioner.Core.Model;

/// <summary>The lab's addressing and the networking components that serve it.</summary>
public sealed record NetworkSpec
{
    /// <summary>The node bridge pods attach to (the fabric makes it, the CNI plugin attaches to it, the templates name it).
    /// netlab-cni, which knows only Host, keeps its own default for a conflist without <c>bridge</c>; the conflist names it.</summary>
    public const string NodeBridge = "netlab0";

    /// <summary>The cluster's pod range, sliced into one subnet per node.</summary>
    public string PodCidr { get; init; } = "10.244.0.0/16";

    /// <summary>Prefix length of each node's slice of <see cref="PodCidr"/>.</summary>
    public int NodePodPrefix { get; init; } = 24;

    public string ServiceCidr { get; init; } = "10.96.0.0/16";

    /// <summary>
    /// The network the nodes' own addresses are on: Multipass's network (see <c>multipass info</c>), or the
    /// underlay the netns backend creates. Must not overlap the pod or service range.
    /// </summary>
    public string NodeCidr { get; init; } = "192.168.64.0/24";

    public FabricKind Fabric { get; init; } = FabricKind.OvsVxlan;

    /// <summary>VXLAN network identifier of the overlay.</summary>
    public int Vni { get; init; } = 4242;

    /// <summary>The underlay (node interface) MTU.</summary>
    public int UnderlayMtu { get; init; } = 1500;

    /// <summary>The pods' MTU; 0 means the underlay MTU less the fabric's encapsulation overhead.</summary>
    public int Mtu { get; init; }

    public ServiceProxy ServiceProxy { get; init; } = ServiceProxy.Netlab;

    public RuleBackend ServiceRules { get; init; } = RuleBackend.Iptables;

    /// <summary>OVS datapath; null means the backend's default (kernel on VMs, userspace in namespaces).</summary>
    public OvsDatapath? OvsDatapath { get; init; }

    /// <summary>The cluster's DNS zone (kubelet's clusterDomain): services are <c>name.ns.svc.&lt;zone&gt;</c>.</summary>
    public string ClusterDomain { get; init; } = "cluster.local";

    /// <summary>
    /// The pool LoadBalancer services get their EXTERNAL-IP from. Null: the last /28 of <see cref="NodeCidr"/>
    /// (a slice of the node network, announced L2-style like MetalLB's L2 mode).
    /// </summary>
    public string? LoadBalancerCidr { get; init; }

    public int NodePortMin { get; init; } = 30000;
    public int NodePortMax { get; init; } = 32767;

    /// <summary>Where <c>netlab metrics --node</c> listens on each VM node for Prometheus (systemd unit <c>netlab-metrics</c>).</summary>
    public string ExporterBindAddress { get; init; } = DefaultExporterBindAddress;

    public const string DefaultExporterBindAddress = "0.0.0.0:9108";
}
