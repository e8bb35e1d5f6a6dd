using System.Collections.Immutable;
using Provisioner.Core.Model;

namespace Provisioner.Core.Config.Cache;

/// <summary>
/// Writes a <see cref="LabConfig"/> in the stack cache's binary form, field by field in declaration order (read back by
/// <see cref="LabConfigBinaryReader"/>). Each string is written once and then referred to by its index, so 10k services
/// in namespace <c>default</c> selecting <c>app: web</c> cost a few bytes each. StackCacheSpecs fill every property of
/// the model by reflection and compare the round trip, so a property added to the model and not here fails there.
/// </summary>
internal sealed class LabConfigWriter(BinaryWriter w)
{
    private readonly Dictionary<string, int> _strings = new(StringComparer.Ordinal);

    public void Write(LabConfig lab)
    {
        String(lab.Name);
        Int((int)lab.Backend);
        String(lab.Image);
        String(lab.Kubernetes.Version);
        w.Write(lab.Kubernetes.Containerd.SystemdCgroup);
        String(lab.Kubernetes.Containerd.SandboxImage);
        Network(lab.Network);
        Array(lab.Nodes, Node);
        Array(lab.Pods, Pod);
        Array(lab.Services, Service);
        Array(lab.Namespaces, n => { String(n.Name); Map(n.Labels); });
        Array(lab.NetworkPolicies, Policy);
    }

    private void Network(NetworkSpec n)
    {
        String(n.PodCidr);
        Int(n.NodePodPrefix);
        String(n.ServiceCidr);
        String(n.NodeCidr);
        Int((int)n.Fabric);
        Int(n.Vni);
        Int(n.UnderlayMtu);
        Int(n.Mtu);
        Int((int)n.ServiceProxy);
        Int((int)n.ServiceRules);
        Int(n.OvsDatapath is { } datapath ? (int)datapath + 1 : 0);
        String(n.ClusterDomain);
        String(n.LoadBalancerCidr);
        Int(n.NodePortMin);
        Int(n.NodePortMax);
        String(n.ExporterBindAddress);
    }

    private void Node(NodeSpec n)
    {
        String(n.Name);
        Int((int)n.Role);
        Int(n.Cpus);
        w.Write7BitEncodedInt64(n.Memory.Bytes);
        w.Write7BitEncodedInt64(n.Disk.Bytes);
        String(n.PodCidr);
    }

    private void Pod(PodSpec p)
    {
        String(p.Name);
        String(p.Node);
        String(p.Namespace);
        String(p.Hostname);
        String(p.Subdomain);
        Map(p.Labels);
        Int(p.Port);
        String(p.PortName);
    }

    private void Service(ServiceSpec s)
    {
        String(s.Name);
        String(s.Namespace);
        Int((int)s.Type);
        String(s.ClusterIP);
        Map(s.Selector);
        Array(s.Ports, p => { String(p.Name); Int(p.Port); Int(p.TargetPort); Int((int)p.Protocol); Int(p.NodePort); });
        Array(s.ExternalIPs, String);
        String(s.LoadBalancerIP);
        Int((int)s.SessionAffinity);
        Int(s.SessionAffinityTimeoutSeconds);
        Int((int)s.ExternalTrafficPolicy);
        Int((int)s.InternalTrafficPolicy);
        String(s.ExternalName);
    }

    private void Policy(NetworkPolicySpec p)
    {
        String(p.Name);
        String(p.Namespace);
        Selector(p.PodSelector);
        w.Write(p.PolicyTypes.HasValue);
        if (p.PolicyTypes is { } types)
            Array(types, t => Int((int)t));
        Array(p.Ingress, Rule);
        Array(p.Egress, Rule);
    }

    private void Rule(PolicyRuleSpec r)
    {
        Array(r.Peers, peer =>
        {
            Optional(peer.PodSelector, Selector);
            Optional(peer.NamespaceSelector, Selector);
            Optional(peer.IpBlock, b => { String(b.Cidr); Array(b.Except, String); });
        });
        Array(r.Ports, p => { Int((int)p.Protocol); String(p.Port); w.Write(p.EndPort.HasValue); Int(p.EndPort ?? 0); });
    }

    private void Selector(LabelSelector s)
    {
        Map(s.MatchLabels);
        Array(s.MatchExpressions, e => { String(e.Key); Int((int)e.Operator); Array(e.Values, String); });
    }

    private void Optional<T>(T? value, Action<T> write) where T : class
    {
        w.Write(value is not null);
        if (value is not null)
            write(value);
    }

    private void Array<T>(ImmutableArray<T> items, Action<T> write)
    {
        Int(items.Length);
        foreach (var item in items)
            write(item);
    }

    /// <summary>The reader's maps are ordinal; the model's empty defaults use the default comparer: both kept as they are.</summary>
    private void Map(ImmutableSortedDictionary<string, string> map)
    {
        var ordinal = ReferenceEquals(map.KeyComparer, StringComparer.Ordinal);
        if (!ordinal && !ReferenceEquals(map.KeyComparer, Comparer<string>.Default))
            throw new NotSupportedException("a map with another comparer is not cached"); // the cache then stores nothing
        w.Write(ordinal);
        Int(map.Count);
        foreach (var (key, value) in map)
        {
            String(key);
            String(value);
        }
    }

    private void Int(int value) => w.Write7BitEncodedInt(value);

    /// <summary>0: null; 1: a new string follows; 2 and up: the string written (index + 2)th.</summary>
    private void String(string? text)
    {
        if (text is null)
            Int(0);
        else if (_strings.TryGetValue(text, out var index))
            Int(index + 2);
        else
        {
            Int(1);
            w.Write(text);
            _strings.Add(text, _strings.Count);
        }
    }
}
