using System.Collections.Immutable;
using Provisioner.Core.Model;
using Provisioner.Core.Validation;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

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
        var values = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        var problems = new List<ConfigProblem>();
        foreach (var key in ConfigKeys.All)
        {
            var text = rawValue(key);
            if (text is null)
                continue;
            try
            {
                values[key] = ParseDocument(text) ?? new YamlScalarNode(text);
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
    public static (LabConfig Config, IReadOnlyList<ConfigProblem> Problems) Read(IReadOnlyDictionary<string, YamlNode> values, string? stackName = null)
    {
        var root = new YamlMappingNode();
        foreach (var (key, value) in values)
            root.Add(key, value);
        var problems = new List<ConfigProblem>();
        var reader = new YamlReader(root, "", problems);

        var name = stackName is null ? reader.RequiredString(ConfigKeys.Name, "mylab") : reader.String(ConfigKeys.Name) ?? stackName;
        var config = new LabConfig
        {
            Name = name,
            Backend = reader.Enum(ConfigKeys.Backend, Backend.Multipass),
            Image = reader.String(ConfigKeys.Image) ?? "24.04",
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

    internal static YamlNode? ParseDocument(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
    }

    private static KubernetesSpec ReadKubernetes(YamlReader? r)
    {
        var spec = new KubernetesSpec();
        if (r is null)
            return spec;
        var containerd = r.Mapping("containerd");
        var result = spec with
        {
            Version = r.String("version") ?? spec.Version,
            Containerd = containerd is null ? spec.Containerd : new ContainerdSpec
            {
                SystemdCgroup = containerd.Bool("systemdCgroup", spec.Containerd.SystemdCgroup),
                SandboxImage = containerd.String("sandboxImage") ?? spec.Containerd.SandboxImage,
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
        var datapath = r.String("ovsDatapath");
        var spec = new NetworkSpec
        {
            PodCidr = r.String("podCidr") ?? d.PodCidr,
            NodePodPrefix = r.Int("nodePodPrefix", d.NodePodPrefix, "24"),
            ServiceCidr = r.String("serviceCidr") ?? d.ServiceCidr,
            NodeCidr = r.String("nodeCidr") ?? d.NodeCidr,
            Fabric = r.Enum("fabric", d.Fabric),
            Vni = r.Int("vni", d.Vni, "4242"),
            UnderlayMtu = r.Int("underlayMtu", d.UnderlayMtu, "1500"),
            Mtu = r.Int("mtu", d.Mtu, "1450"),
            ServiceProxy = r.Enum("serviceProxy", d.ServiceProxy),
            ServiceRules = r.Enum("serviceRules", d.ServiceRules),
            OvsDatapath = datapath is null ? null : r.Enum("ovsDatapath", Model.OvsDatapath.System),
            ClusterDomain = r.String("clusterDomain") ?? d.ClusterDomain,
            LoadBalancerCidr = r.String("loadBalancerCidr"),
            NodePortMin = r.Int("nodePortMin", d.NodePortMin, "30000"),
            NodePortMax = r.Int("nodePortMax", d.NodePortMax, "32767"),
        };
        r.RejectUnknownKeys();
        return spec;
    }

    private static NodeSpec ReadNode(YamlReader r)
    {
        var node = new NodeSpec { Name = r.RequiredString("name", "worker1") };
        node = node with
        {
            Role = r.Enum("role", NodeRole.Worker),
            Cpus = r.Int("cpus", node.Cpus, "2"),
            Memory = Size(r, "memory", node.Memory),
            Disk = Size(r, "disk", node.Disk),
            PodCidr = r.String("podCidr"),
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
            Name = r.RequiredString("name", "web-1"),
            Node = r.RequiredString("node", "worker1"),
            Namespace = r.String("namespace") ?? "default",
            Hostname = r.String("hostname"),
            Subdomain = r.String("subdomain"),
            Labels = r.StringMap("labels").ToImmutableSortedDictionary(StringComparer.Ordinal),
        };
        pod = pod with { Port = r.Int("port", pod.Port, "8080"), PortName = r.String("portName") };
        r.RejectUnknownKeys();
        return pod;
    }

    private static ServiceSpec ReadService(YamlReader r)
    {
        var d = new ServiceSpec { Name = r.RequiredString("name", "web") };
        var service = d with
        {
            Namespace = r.String("namespace") ?? d.Namespace,
            Type = r.Enum("type", d.Type),
            ClusterIP = r.String("clusterIP"),
            Selector = r.StringMap("selector").ToImmutableSortedDictionary(StringComparer.Ordinal),
            Ports = [.. r.Sequence("ports").Select(ReadPort)],
            ExternalIPs = [.. r.Strings("externalIPs")],
            LoadBalancerIP = r.String("loadBalancerIP"),
            SessionAffinity = r.Enum("sessionAffinity", d.SessionAffinity),
            SessionAffinityTimeoutSeconds = r.Int("sessionAffinityTimeoutSeconds", d.SessionAffinityTimeoutSeconds, "10800"),
            ExternalTrafficPolicy = r.Enum("externalTrafficPolicy", d.ExternalTrafficPolicy),
            InternalTrafficPolicy = r.Enum("internalTrafficPolicy", d.InternalTrafficPolicy),
            ExternalName = r.String("externalName"),
        };
        r.RejectUnknownKeys();
        return service;
    }

    private static ServicePortSpec ReadPort(YamlReader r)
    {
        var port = new ServicePortSpec
        {
            Name = r.String("name"),
            Port = r.Node("port") is null ? Required(r, "port", "80") : r.Int("port", 0, "80"),
            TargetPort = r.Int("targetPort", 0, "8080"),
            Protocol = r.Enum("protocol", TransportProtocol.TCP),
            NodePort = r.Int("nodePort", 0, "30080"),
        };
        r.RejectUnknownKeys();
        return port;
    }
}
