namespace Provisioner.Core.Config;

/// <summary>The stack file's keys, in one place. Pulumi namespaces them with the project name: <c>netlab:nodes</c>.</summary>
public static class ConfigKeys
{
    public const string Namespace = "netlab";

    public const string Name = "name";
    public const string Backend = "backend";
    public const string Image = "image";
    public const string Kubernetes = "kubernetes";
    public const string Network = "network";
    public const string Nodes = "nodes";
    public const string Pods = "pods";
    public const string Services = "services";
    public const string Namespaces = "namespaces";
    public const string NetworkPolicies = "networkPolicies";

    public static readonly IReadOnlyList<string> All = [Name, Backend, Image, Kubernetes, Network, Nodes, Pods, Services, Namespaces, NetworkPolicies];

    /// <summary>The keys of <c>kubernetes</c>.</summary>
    public static class KubernetesKeys
    {
        public const string Version = "version";
        public const string Containerd = "containerd";

        public static string Path(string key) => $"{Kubernetes}.{key}";
    }

    /// <summary>The keys of <c>kubernetes.containerd</c>.</summary>
    public static class ContainerdKeys
    {
        public const string SystemdCgroup = "systemdCgroup";
        public const string SandboxImage = "sandboxImage";
    }

    /// <summary>The keys of <c>network</c>; <see cref="Path"/> is the full key a problem names (<c>network.podCidr</c>).</summary>
    public static class NetworkKeys
    {
        public const string PodCidr = "podCidr";
        public const string NodePodPrefix = "nodePodPrefix";
        public const string ServiceCidr = "serviceCidr";
        public const string NodeCidr = "nodeCidr";
        public const string Fabric = "fabric";
        public const string Vni = "vni";
        public const string UnderlayMtu = "underlayMtu";
        public const string Mtu = "mtu";
        public const string ServiceProxy = "serviceProxy";
        public const string ServiceRules = "serviceRules";
        public const string OvsDatapath = "ovsDatapath";
        public const string ClusterDomain = "clusterDomain";
        public const string LoadBalancerCidr = "loadBalancerCidr";
        public const string NodePortMin = "nodePortMin";
        public const string NodePortMax = "nodePortMax";
        public const string ExporterBindAddress = "exporterBindAddress";

        public static string Path(string key) => $"{Network}.{key}";
    }

    /// <summary>The keys of each entry of <c>nodes</c>.</summary>
    public static class NodeKeys
    {
        public const string Name = "name";
        public const string Role = "role";
        public const string Cpus = "cpus";
        public const string Memory = "memory";
        public const string Disk = "disk";
        public const string PodCidr = "podCidr";
    }

    /// <summary>The keys of each entry of <c>pods</c>.</summary>
    public static class PodKeys
    {
        public const string Name = "name";
        public const string Node = "node";
        public const string Namespace = "namespace";
        public const string Hostname = "hostname";
        public const string Subdomain = "subdomain";
        public const string Labels = "labels";
        public const string Port = "port";
        public const string PortName = "portName";
    }

    /// <summary>The keys of each entry of <c>services</c>.</summary>
    public static class ServiceKeys
    {
        public const string Name = "name";
        public const string Namespace = "namespace";
        public const string Type = "type";
        public const string ClusterIP = "clusterIP";
        public const string Selector = "selector";
        public const string Ports = "ports";
        public const string ExternalIPs = "externalIPs";
        public const string LoadBalancerIP = "loadBalancerIP";
        public const string SessionAffinity = "sessionAffinity";
        public const string SessionAffinityTimeoutSeconds = "sessionAffinityTimeoutSeconds";
        public const string ExternalTrafficPolicy = "externalTrafficPolicy";
        public const string InternalTrafficPolicy = "internalTrafficPolicy";
        public const string ExternalName = "externalName";
    }

    /// <summary>The keys of each entry of a service's <c>ports</c>.</summary>
    public static class PortKeys
    {
        public const string Name = "name";
        public const string Port = "port";
        public const string TargetPort = "targetPort";
        public const string Protocol = "protocol";
        public const string NodePort = "nodePort";
    }

    /// <summary>
    /// A problem for each configured key of netlab's namespace that netlab does not know: a misspelling must not be
    /// silently ignored. <paramref name="keys"/> are full keys (<c>netlab:nodes</c>); other namespaces are not ours.
    /// </summary>
    public static IEnumerable<Validation.ConfigProblem> Unknown(IEnumerable<string> keys)
    {
        var prefix = Namespace + ":";
        return keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && !All.Contains(k[prefix.Length..]))
            .Select(k => new Validation.ConfigProblem(k, null, "is not a known key",
                $"remove it (pulumi config rm {k}) or check its spelling; known keys: {string.Join(", ", All.Select(a => prefix + a))}"));
    }

    /// <summary>The command that sets a key (with <c>--path</c> for nested keys), for error messages.</summary>
    public static string SetCommand(string path, string example) =>
        path.Contains('.') || path.Contains('[')
            ? $"pulumi config set --path '{path}' {example}"
            : $"pulumi config set {path} {example}";
}
