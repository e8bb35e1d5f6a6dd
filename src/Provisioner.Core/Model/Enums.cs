namespace Provisioner.Core.Model;

/// <summary>Where the lab's nodes live.</summary>
public enum Backend { Multipass, Netns }

public enum NodeRole { ControlPlane, Worker }

/// <summary>How pods on different nodes reach each other.</summary>
public enum FabricKind { OvsVxlan, LinuxVxlan, Routed }

/// <summary>Which component programs Service rules on the nodes.</summary>
public enum ServiceProxy { Netlab, KubeProxy }

/// <summary>Kernel rule language the netlab service proxy writes.</summary>
public enum RuleBackend { Iptables, Nftables }

/// <summary>Open vSwitch datapath: the kernel module (VMs) or the userspace one (hosts without the module).</summary>
public enum OvsDatapath { System, Netdev }

public enum ServiceType { ClusterIP, NodePort, LoadBalancer, ExternalName }

public enum TransportProtocol { TCP, UDP, SCTP }

public enum SessionAffinity { None, ClientIP }

public enum TrafficPolicy { Cluster, Local }

/// <summary>The spelling of each enum value in the stack file (kebab-case, as users type them).</summary>
public static class EnumNames
{
    public static string Of(FabricKind kind) => kind switch
    {
        FabricKind.OvsVxlan => "ovs-vxlan",
        FabricKind.LinuxVxlan => "linux-vxlan",
        FabricKind.Routed => "routed",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static string Of(NodeRole role) => role == NodeRole.ControlPlane ? "control-plane" : "worker";

    public static string Of(Backend backend) => backend == Backend.Multipass ? "multipass" : "netns";

    public static string Of(ServiceProxy proxy) => proxy == ServiceProxy.Netlab ? "netlab" : "kube-proxy";

    public static string Of(RuleBackend backend) => backend == RuleBackend.Iptables ? "iptables" : "nftables";

    public static string Of(OvsDatapath datapath) => datapath == OvsDatapath.System ? "system" : "netdev";
}
