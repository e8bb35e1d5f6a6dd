using System.Collections.Immutable;
using Provisioner.Core.Model;

namespace Provisioner.Core.Config.Cache;

/// <summary>
/// Reads what <see cref="LabConfigWriter"/> wrote, in the same order. Equal maps read once are shared (the model is
/// immutable), so 10k services selecting <c>app: web</c> hold one map.
/// </summary>
internal sealed class LabConfigBinaryReader(BinaryReader r)
{
    private readonly List<string> _strings = [];
    private readonly Dictionary<string, ImmutableSortedDictionary<string, string>> _maps = new(StringComparer.Ordinal);

    public LabConfig Read()
    {
        var lab = new LabConfig
        {
            Name = String(),
            Backend = (Backend)Int(),
            Image = String(),
            Kubernetes = new KubernetesSpec { Version = String(), Containerd = new ContainerdSpec { SystemdCgroup = r.ReadBoolean(), SandboxImage = String() } },
            Network = Network(),
            Nodes = Array(Node),
            Pods = Array(Pod),
            Services = Array(Service),
            Namespaces = Array(() => new NamespaceSpec { Name = String(), Labels = Map() }),
            NetworkPolicies = Array(Policy),
        };
        return r.BaseStream.Position == r.BaseStream.Length ? lab : throw new InvalidDataException("bytes after the lab");
    }

    private NetworkSpec Network() => new()
    {
        PodCidr = String(),
        NodePodPrefix = Int(),
        ServiceCidr = String(),
        NodeCidr = String(),
        Fabric = (FabricKind)Int(),
        Vni = Int(),
        UnderlayMtu = Int(),
        Mtu = Int(),
        ServiceProxy = (ServiceProxy)Int(),
        ServiceRules = (RuleBackend)Int(),
        OvsDatapath = Int() is var datapath && datapath == 0 ? null : (OvsDatapath)(datapath - 1),
        ClusterDomain = String(),
        LoadBalancerCidr = NullableString(),
        NodePortMin = Int(),
        NodePortMax = Int(),
        ExporterBindAddress = String(),
    };

    private NodeSpec Node() => new()
    {
        Name = String(),
        Role = (NodeRole)Int(),
        Cpus = Int(),
        Memory = new ByteSize(r.Read7BitEncodedInt64()),
        Disk = new ByteSize(r.Read7BitEncodedInt64()),
        PodCidr = NullableString(),
    };

    private PodSpec Pod() => new()
    {
        Name = String(),
        Node = String(),
        Namespace = String(),
        Hostname = NullableString(),
        Subdomain = NullableString(),
        Labels = Map(),
        Port = Int(),
        PortName = NullableString(),
    };

    private ServiceSpec Service() => new()
    {
        Name = String(),
        Namespace = String(),
        Type = (ServiceType)Int(),
        ClusterIP = NullableString(),
        Selector = Map(),
        Ports = Array(() => new ServicePortSpec { Name = NullableString(), Port = Int(), TargetPort = Int(), Protocol = (TransportProtocol)Int(), NodePort = Int() }),
        ExternalIPs = Array(String),
        LoadBalancerIP = NullableString(),
        SessionAffinity = (SessionAffinity)Int(),
        SessionAffinityTimeoutSeconds = Int(),
        ExternalTrafficPolicy = (TrafficPolicy)Int(),
        InternalTrafficPolicy = (TrafficPolicy)Int(),
        ExternalName = NullableString(),
    };

    private NetworkPolicySpec Policy() => new()
    {
        Name = String(),
        Namespace = String(),
        PodSelector = Selector(),
        PolicyTypes = r.ReadBoolean() ? Array(() => (PolicyType)Int()) : null,
        Ingress = Array(Rule),
        Egress = Array(Rule),
    };

    private PolicyRuleSpec Rule() => new()
    {
        Peers = Array(() => new PolicyPeerSpec
        {
            PodSelector = Optional(Selector),
            NamespaceSelector = Optional(Selector),
            IpBlock = Optional(() => new IpBlockSpec(String(), Array(String))),
        }),
        Ports = Array(() => new PolicyPortSpec { Protocol = (TransportProtocol)Int(), Port = NullableString(), EndPort = r.ReadBoolean() ? Int() : Skip() }),
    };

    private int? Skip()
    {
        Int();
        return null;
    }

    private LabelSelector Selector() => new()
    {
        MatchLabels = Map(),
        MatchExpressions = Array(() => new SelectorRequirement(String(), (SelectorOperator)Int(), Array(String))),
    };

    private T? Optional<T>(Func<T> read) where T : class => r.ReadBoolean() ? read() : null;

    private ImmutableArray<T> Array<T>(Func<T> read)
    {
        var count = Int();
        var items = ImmutableArray.CreateBuilder<T>(count);
        for (var i = 0; i < count; i++)
            items.Add(read());
        return items.MoveToImmutable();
    }

    private ImmutableSortedDictionary<string, string> Map()
    {
        var ordinal = r.ReadBoolean();
        var count = Int();
        var pairs = new KeyValuePair<string, string>[count];
        for (var i = 0; i < count; i++)
            pairs[i] = new(String(), String());
        var id = (ordinal ? "o" : "d") + string.Concat(pairs.Select(p => $"\0{p.Key}\0{p.Value}"));
        if (!_maps.TryGetValue(id, out var map))
            _maps.Add(id, map = ImmutableSortedDictionary.CreateRange(ordinal ? StringComparer.Ordinal : null, pairs));
        return map;
    }

    private int Int() => r.Read7BitEncodedInt();

    private string String() => NullableString() ?? throw new InvalidDataException("a required string is missing");

    private string? NullableString()
    {
        var index = Int();
        if (index == 0)
            return null;
        if (index > 1)
            return _strings[index - 2];
        var text = r.ReadString();
        _strings.Add(text);
        return text;
    }
}
