using System.Collections.Immutable;
using Provisioner.Core.Model;
using Provisioner.Core.Validation;
using YamlDotNet.Core;
using static Provisioner.Core.Config.ConfigKeys;

namespace Provisioner.Core.Config;

/// <summary>
/// Builds a <see cref="LabConfig"/> from the stack's config values: one YAML (or JSON) document per top-level key,
/// which is what both the stack file and Pulumi's <c>Config.Get</c> give for structured values. Every problem is
/// collected; nothing stops at the first.
/// </summary>
public static class LabConfigReader
{
    /// <summary>Reads from raw values as Pulumi gives them: a key's text, JSON for structured values.</summary>
    public static (LabConfig Config, IReadOnlyList<ConfigProblem> Problems) Read(Func<string, string?> rawValue, string? stackName = null)
    {
        var values = new Dictionary<string, YamlValue>(StringComparer.Ordinal);
        var problems = new List<ConfigProblem>();
        foreach (var key in ConfigKeys.All)
        {
            var text = rawValue(key);
            if (text is null)
                continue;
            try
            {
                values[key] = YamlTree.Parse(text) ?? new YamlScalar(text);
            }
            catch (YamlException e)
            {
                problems.Add(new ConfigProblem(key, text, $"is not valid YAML or JSON ({e.Message})", ConfigKeys.SetCommand(key, "...")));
            }
        }
        var (config, more) = Read(values, stackName);
        return (config, [.. problems, .. more]);
    }

    /// <summary>
    /// Reads from the parsed values of a stack file's <c>config:</c> section (keys without the namespace).
    /// The lab's name defaults to the stack's, so two stacks of one project never collide.
    /// </summary>
    internal static (LabConfig Config, IReadOnlyList<ConfigProblem> Problems) Read(IReadOnlyDictionary<string, YamlValue> values, string? stackName = null)
    {
        var root = new YamlMap([.. values.Select(v => new KeyValuePair<string?, YamlValue>(v.Key, v.Value))]);
        var problems = new List<ConfigProblem>();
        var reader = new YamlReader(root, "", problems);

        var name = stackName is null ? reader.RequiredString(ConfigKeys.Name, "mylab") : reader.String(ConfigKeys.Name) ?? stackName;
        var config = new LabConfig
        {
            Name = name,
            Backend = reader.Enum(ConfigKeys.Backend, Model.Backend.Multipass),
            Image = reader.String(ConfigKeys.Image) ?? new LabConfig { Name = name }.Image,
            Kubernetes = ReadKubernetes(reader.Mapping(ConfigKeys.Kubernetes)),
            Network = ReadNetwork(reader.Mapping(ConfigKeys.Network)),
            Nodes = [.. reader.Sequence(ConfigKeys.Nodes).Select(ReadNode)],
            Pods = [.. reader.Sequence(ConfigKeys.Pods).Select(ReadPod)],
            Services = [.. reader.Sequence(ConfigKeys.Services).Select(ReadService)],
            Namespaces = [.. reader.Sequence(ConfigKeys.Namespaces).Select(NetworkPolicyReader.ReadNamespace)],
            NetworkPolicies = [.. reader.Sequence(ConfigKeys.NetworkPolicies).Select(NetworkPolicyReader.ReadPolicy)],
        };
        reader.RejectUnknownKeys();
        return (config, problems); // with fallbacks in place of bad values, so validation can report the rest too
    }

    /// <summary>Services read from a list of <c>netlab:services</c> entries, as <see cref="Read"/> reads each one, the first at <paramref name="first"/>.</summary>
    internal static ImmutableArray<ServiceSpec> ReadServices(YamlList items, int first, List<ConfigProblem> problems) =>
        [.. new YamlReader(YamlMap.Empty, "", problems).Items(items, ConfigKeys.Services, first).Select(ReadService)];

    private static KubernetesSpec ReadKubernetes(YamlReader? r)
    {
        var spec = new KubernetesSpec();
        if (r is null)
            return spec;
        var containerd = r.Mapping(KubernetesKeys.Containerd);
        var result = spec with
        {
            Version = r.String(KubernetesKeys.Version) ?? spec.Version,
            Containerd = containerd is null ? spec.Containerd : new ContainerdSpec
            {
                SystemdCgroup = containerd.Bool(ContainerdKeys.SystemdCgroup, spec.Containerd.SystemdCgroup),
                SandboxImage = containerd.String(ContainerdKeys.SandboxImage) ?? spec.Containerd.SandboxImage,
            },
        };
        containerd?.RejectUnknownKeys();
        r.RejectUnknownKeys();
        return result;
    }

    private static NetworkSpec ReadNetwork(YamlReader? r)
    {
        var d = new NetworkSpec();
        if (r is null)
            return d;
        var datapath = r.String(NetworkKeys.OvsDatapath);
        var spec = new NetworkSpec
        {
            PodCidr = r.String(NetworkKeys.PodCidr) ?? d.PodCidr,
            NodePodPrefix = r.Int(NetworkKeys.NodePodPrefix, d.NodePodPrefix, Str(d.NodePodPrefix)),
            ServiceCidr = r.String(NetworkKeys.ServiceCidr) ?? d.ServiceCidr,
            NodeCidr = r.String(NetworkKeys.NodeCidr) ?? d.NodeCidr,
            Fabric = r.Enum(NetworkKeys.Fabric, d.Fabric),
            Vni = r.Int(NetworkKeys.Vni, d.Vni, Str(d.Vni)),
            UnderlayMtu = r.Int(NetworkKeys.UnderlayMtu, d.UnderlayMtu, Str(d.UnderlayMtu)),
            Mtu = r.Int(NetworkKeys.Mtu, d.Mtu, "1450"),
            ServiceProxy = r.Enum(NetworkKeys.ServiceProxy, d.ServiceProxy),
            ServiceRules = r.Enum(NetworkKeys.ServiceRules, d.ServiceRules),
            OvsDatapath = datapath is null ? null : r.Enum(NetworkKeys.OvsDatapath, Model.OvsDatapath.System),
            ClusterDomain = r.String(NetworkKeys.ClusterDomain) ?? d.ClusterDomain,
            LoadBalancerCidr = r.String(NetworkKeys.LoadBalancerCidr),
            NodePortMin = r.Int(NetworkKeys.NodePortMin, d.NodePortMin, Str(d.NodePortMin)),
            NodePortMax = r.Int(NetworkKeys.NodePortMax, d.NodePortMax, Str(d.NodePortMax)),
            ExporterBindAddress = r.String(NetworkKeys.ExporterBindAddress) ?? d.ExporterBindAddress,
        };
        r.RejectUnknownKeys();
        return spec;
    }

    private static NodeSpec ReadNode(YamlReader r)
    {
        var node = new NodeSpec { Name = r.RequiredString(NodeKeys.Name, "worker1") };
        node = node with
        {
            Role = r.Enum(NodeKeys.Role, NodeRole.Worker),
            Cpus = r.Int(NodeKeys.Cpus, node.Cpus, Str(node.Cpus)),
            Memory = Size(r, NodeKeys.Memory, node.Memory),
            Disk = Size(r, NodeKeys.Disk, node.Disk),
            PodCidr = r.String(NodeKeys.PodCidr),
        };
        r.RejectUnknownKeys();
        return node;
    }

    private static int Required(YamlReader r, string key, string example)
    {
        r.Problem(key, null, "is required", ConfigKeys.SetCommand(r.Child(key), example));
        return 0;
    }

    private static ByteSize Size(YamlReader r, string key, ByteSize fallback)
    {
        var text = r.String(key);
        if (text is null)
            return fallback;
        if (ByteSize.TryParse(text, out var size))
            return size;
        r.Problem(key, text, "is not a size", ConfigKeys.SetCommand(r.Child(key), "4G") + " (units K, M, G)");
        return fallback;
    }

    private static PodSpec ReadPod(YamlReader r)
    {
        var pod = new PodSpec
        {
            Name = r.RequiredString(PodKeys.Name, "web-1"),
            Node = r.RequiredString(PodKeys.Node, "worker1"),
            Hostname = r.String(PodKeys.Hostname),
            Subdomain = r.String(PodKeys.Subdomain),
            Labels = r.StringMap(PodKeys.Labels).ToImmutableSortedDictionary(StringComparer.Ordinal),
        };
        pod = pod with { Namespace = r.String(PodKeys.Namespace) ?? pod.Namespace, Port = r.Int(PodKeys.Port, pod.Port, Str(pod.Port)), PortName = r.String(PodKeys.PortName) };
        r.RejectUnknownKeys();
        return pod;
    }

    private static ServiceSpec ReadService(YamlReader r)
    {
        var d = new ServiceSpec { Name = r.RequiredString(ServiceKeys.Name, "web") };
        var service = d with
        {
            Namespace = r.String(ServiceKeys.Namespace) ?? d.Namespace,
            Type = r.Enum(ServiceKeys.Type, d.Type),
            ClusterIP = r.String(ServiceKeys.ClusterIP),
            Selector = r.StringMap(ServiceKeys.Selector).ToImmutableSortedDictionary(StringComparer.Ordinal),
            Ports = [.. r.Sequence(ServiceKeys.Ports).Select(ReadPort)],
            ExternalIPs = [.. r.Strings(ServiceKeys.ExternalIPs)],
            LoadBalancerIP = r.String(ServiceKeys.LoadBalancerIP),
            SessionAffinity = r.Enum(ServiceKeys.SessionAffinity, d.SessionAffinity),
            SessionAffinityTimeoutSeconds = r.Int(ServiceKeys.SessionAffinityTimeoutSeconds, d.SessionAffinityTimeoutSeconds, Str(d.SessionAffinityTimeoutSeconds)),
            ExternalTrafficPolicy = r.Enum(ServiceKeys.ExternalTrafficPolicy, d.ExternalTrafficPolicy),
            InternalTrafficPolicy = r.Enum(ServiceKeys.InternalTrafficPolicy, d.InternalTrafficPolicy),
            ExternalName = r.String(ServiceKeys.ExternalName),
        };
        r.RejectUnknownKeys();
        return service;
    }

    private static ServicePortSpec ReadPort(YamlReader r)
    {
        var port = new ServicePortSpec
        {
            Name = r.String(PortKeys.Name),
            Port = r.Node(PortKeys.Port) is null ? Required(r, PortKeys.Port, "80") : r.Int(PortKeys.Port, 0, "80"),
            TargetPort = r.Int(PortKeys.TargetPort, 0, "8080"),
            Protocol = r.Enum(PortKeys.Protocol, TransportProtocol.TCP),
            NodePort = r.Int(PortKeys.NodePort, 0, "30080"),
        };
        r.RejectUnknownKeys();
        return port;
    }

    private static string Str(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
