using System.Globalization;
using System.Net;
using Provisioner.Core.Config;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using static Provisioner.Core.Config.ConfigKeys;

namespace Provisioner.Core.Validation;

public static partial class LabValidator
{
    /// <summary>Pod names become namespace names (<c>lab-pod</c>); kept short enough to read in <c>ip netns</c>.</summary>
    public const int MaxPodNameLength = 30;

    private static void CheckPods(List<ConfigProblem> problems, LabConfig lab)
    {
        var nodes = lab.Nodes.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lab.Pods.Length; i++)
        {
            var pod = lab.Pods[i];
            var key = $"pods[{i}]";
            CheckName(problems, $"{key}.{PodKeys.Name}", pod.Name, "web-1", MaxPodNameLength);
            if (!seen.Add(pod.Name))
                problems.Add(new ConfigProblem($"{key}.{PodKeys.Name}", pod.Name, "is used by another pod", ConfigKeys.SetCommand($"{key}.{PodKeys.Name}", pod.Name + "b")));
            if (!nodes.Contains(pod.Node))
                problems.Add(new ConfigProblem($"{key}.{PodKeys.Node}", pod.Node, $"is not a node of the stack (nodes: {string.Join(", ", nodes)})",
                    ConfigKeys.SetCommand($"{key}.{PodKeys.Node}", lab.Nodes.FirstOrDefault()?.Name ?? "worker1")));
            if (pod.Port is < 1 or > 65535)
                problems.Add(new ConfigProblem($"{key}.{PodKeys.Port}", Str(pod.Port), "must be a port from 1 to 65535", ConfigKeys.SetCommand($"{key}.{PodKeys.Port}", "8080")));
        }
    }

    private static void CheckServices(List<ConfigProblem> problems, LabConfig lab)
    {
        IPNetwork2? serviceCidr = Cidr.TryParse(lab.Network.ServiceCidr, out var parsed, out _) ? parsed : null;
        var names = new HashSet<(string, string)>();
        var clusterIps = new Dictionary<string, string>(StringComparer.Ordinal);
        var nodePorts = new Dictionary<int, string>();
        for (var i = 0; i < lab.Services.Length; i++)
        {
            var service = lab.Services[i];
            var key = $"services[{i}]";
            if (!IsName(service.Name, MaxPodNameLength)) // the key is built only for a problem: 10k services
                CheckName(problems, $"{key}.{ServiceKeys.Name}", service.Name, "web", MaxPodNameLength);
            if (!names.Add((service.Namespace, service.Name)))
                problems.Add(new ConfigProblem($"{key}.{ServiceKeys.Name}", service.Name, $"is used by another service in namespace {service.Namespace}", ConfigKeys.SetCommand($"{key}.{ServiceKeys.Name}", service.Name + "b")));

            if (service.Type == ServiceType.ExternalName)
            {
                if (string.IsNullOrWhiteSpace(service.ExternalName))
                    problems.Add(new ConfigProblem($"{key}.{ServiceKeys.ExternalName}", null, "is required for type ExternalName", ConfigKeys.SetCommand($"{key}.{ServiceKeys.ExternalName}", "example.com")));
                continue;
            }
            CheckClusterIp(problems, key, service, serviceCidr, clusterIps);
            CheckServicePorts(problems, lab, key, service, nodePorts);
            CheckSelector(problems, lab, key, service);
            if (service.SessionAffinityTimeoutSeconds is < 1 or > 86400)
                problems.Add(new ConfigProblem($"{key}.{ServiceKeys.SessionAffinityTimeoutSeconds}", Str(service.SessionAffinityTimeoutSeconds), "must be from 1 to 86400",
                    ConfigKeys.SetCommand($"{key}.{ServiceKeys.SessionAffinityTimeoutSeconds}", "10800")));
            if (service.ExternalTrafficPolicy == TrafficPolicy.Local && service.Type == ServiceType.ClusterIP)
                problems.Add(new ConfigProblem($"{key}.{ServiceKeys.ExternalTrafficPolicy}", "Local", "applies only to NodePort and LoadBalancer services",
                    ConfigKeys.SetCommand($"{key}.{ServiceKeys.Type}", "NodePort")));
            foreach (var (ip, j) in service.ExternalIPs.Select((ip, j) => (ip, j)).Append((service.LoadBalancerIP ?? "", -1)))
            {
                if ((j >= 0 || ip.Length > 0) && !Cidr.TryParseAddress(ip, out _))
                    problems.Add(new ConfigProblem(j >= 0 ? $"{key}.{ServiceKeys.ExternalIPs}[{j}]" : $"{key}.{ServiceKeys.LoadBalancerIP}", ip, "is not an IPv4 address", "write it as 192.168.64.200"));
            }
        }
        CheckAllocationRoom(problems, lab, serviceCidr);
    }

    /// <summary>The allocator must find a ClusterIP and node port for every service that left them out.</summary>
    private static void CheckAllocationRoom(List<ConfigProblem> problems, LabConfig lab, IPNetwork2? serviceCidr)
    {
        var n = lab.Network;
        var needIps = lab.Services.Count(ServiceAddressAllocator.NeedsClusterIp);
        if (serviceCidr is { Cidr: >= 12 and <= 28 } && needIps > ServiceAddressAllocator.ClusterIpRoom(lab, serviceCidr))
            problems.Add(new ConfigProblem(NetworkKeys.Path(NetworkKeys.ServiceCidr), n.ServiceCidr,
                $"has room for {ServiceAddressAllocator.ClusterIpRoom(lab, serviceCidr)} allocated ClusterIPs, but {needIps} services need one (the first {ServiceAddressAllocator.ReservedOffsets} addresses are kept for well-known ones)",
                ConfigKeys.SetCommand(NetworkKeys.Path(NetworkKeys.ServiceCidr), DefaultNetwork.ServiceCidr)));
        var needPorts = lab.Services.Sum(s => s.Ports.Count(p => ServiceAddressAllocator.NeedsNodePort(s, p)));
        if (n.NodePortMin >= 1 && n.NodePortMax <= 65535 && n.NodePortMin <= n.NodePortMax && needPorts > ServiceAddressAllocator.NodePortRoom(lab))
            problems.Add(new ConfigProblem(NetworkKeys.Path(NetworkKeys.NodePortMax), Str(n.NodePortMax),
                $"has room for {ServiceAddressAllocator.NodePortRoom(lab)} allocated node ports, but {needPorts} service ports need one",
                ConfigKeys.SetCommand(NetworkKeys.Path(NetworkKeys.NodePortMax), "32767")));
    }

    private static void CheckClusterIp(List<ConfigProblem> problems, string key, ServiceSpec service, IPNetwork2? serviceCidr, Dictionary<string, string> used)
    {
        if (service.ClusterIP is null || service.IsHeadless || serviceCidr is null) // a bad range is reported on its own
            return;
        if (!Cidr.TryParseAddress(service.ClusterIP, out var ip) || !serviceCidr.Contains(ip))
        {
            problems.Add(new ConfigProblem($"{key}.{ServiceKeys.ClusterIP}", service.ClusterIP, $"must be an address inside network.serviceCidr ({serviceCidr})",
                $"remove it to have one allocated, or pick one inside {serviceCidr}"));
            return;
        }
        var offset = Cidr.OffsetOf(serviceCidr, ip);
        if (offset is 0 or 1 or 10 || offset == Cidr.Size(serviceCidr) - 1)
            problems.Add(new ConfigProblem($"{key}.{ServiceKeys.ClusterIP}", service.ClusterIP,
                "is reserved (the network or broadcast address, .1 for the kubernetes Service or .10 for cluster DNS)", "remove it to have one allocated"));
        if (used.TryGetValue(service.ClusterIP, out var other))
            problems.Add(new ConfigProblem($"{key}.{ServiceKeys.ClusterIP}", service.ClusterIP, $"is already used by service {other}", "remove it to have one allocated"));
        used[service.ClusterIP] = service.Name;
    }

    private static void CheckServicePorts(List<ConfigProblem> problems, LabConfig lab, string key, ServiceSpec service, Dictionary<int, string> nodePorts)
    {
        if (service.Ports.IsEmpty)
            problems.Add(new ConfigProblem($"{key}.{ServiceKeys.Ports}", null, "lists no ports", $"pulumi config set --path '{key}.{ServiceKeys.Ports}[0].port' 80"));
        var seen = service.Ports.Length > 1 ? new HashSet<(int, TransportProtocol)>() : null; // one port: nothing to repeat
        for (var j = 0; j < service.Ports.Length; j++)
        {
            var port = service.Ports[j];
            var duplicate = seen is not null && !seen.Add((port.Port, port.Protocol));
            if (!duplicate && port is { Port: >= 1 and <= 65535, TargetPort: >= 0 and <= 65535, NodePort: 0 })
                continue; // the common case, without building its key
            var portKey = $"{key}.{ServiceKeys.Ports}[{j}]";
            if (port.Port is < 1 or > 65535)
                problems.Add(new ConfigProblem($"{portKey}.{PortKeys.Port}", Str(port.Port), "must be a port from 1 to 65535", ConfigKeys.SetCommand($"{portKey}.{PortKeys.Port}", "80")));
            if (port.TargetPort is < 0 or > 65535)
                problems.Add(new ConfigProblem($"{portKey}.{PortKeys.TargetPort}", Str(port.TargetPort), "must be a port from 1 to 65535", ConfigKeys.SetCommand($"{portKey}.{PortKeys.TargetPort}", "8080")));
            if (duplicate)
                problems.Add(new ConfigProblem($"{portKey}.{PortKeys.Port}", $"{port.Port}/{port.Protocol}", "is listed twice in this service", "remove the duplicate port"));
            if (port.NodePort == 0)
                continue;
            if (service.Type is not (ServiceType.NodePort or ServiceType.LoadBalancer))
                problems.Add(new ConfigProblem($"{portKey}.{PortKeys.NodePort}", Str(port.NodePort), "is only for NodePort and LoadBalancer services", ConfigKeys.SetCommand($"{key}.{ServiceKeys.Type}", "NodePort")));
            else if (port.NodePort < lab.Network.NodePortMin || port.NodePort > lab.Network.NodePortMax)
                problems.Add(new ConfigProblem($"{portKey}.{PortKeys.NodePort}", Str(port.NodePort),
                    $"is outside the node-port range {lab.Network.NodePortMin}-{lab.Network.NodePortMax}", "remove it to have one allocated, or pick one in the range"));
            else if (nodePorts.TryGetValue(port.NodePort, out var other))
                problems.Add(new ConfigProblem($"{portKey}.{PortKeys.NodePort}", Str(port.NodePort), $"is already used by service {other}", "remove it to have one allocated"));
            else
                nodePorts[port.NodePort] = service.Name;
        }
    }

    private static void CheckSelector(List<ConfigProblem> problems, LabConfig lab, string key, ServiceSpec service)
    {
        if (service.Selector.IsEmpty || lab.Pods.IsEmpty)
            return;
        foreach (var pod in lab.Pods)
        {
            if (Selects(service, pod))
                return;
        }
        {
            var elsewhere = lab.Pods.Where(p => MatchesLabels(service, p)).Select(p => p.Namespace).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            if (elsewhere.Count > 0)
            {
                problems.Add(new ConfigProblem($"{key}.{ServiceKeys.Selector}", string.Join(",", service.Selector.Select(s => $"{s.Key}={s.Value}")),
                    $"matches pods only in namespace {string.Join(", ", elsewhere)}, but a Service selects pods of its own namespace ({service.Namespace}) only, so it would have no endpoints",
                    $"{ConfigKeys.SetCommand($"{key}.{ServiceKeys.Namespace}", elsewhere[0])}, or move the pods to namespace {service.Namespace}"));
                return;
            }
            var labels = lab.Pods.SelectMany(p => p.Labels.Select(l => $"{l.Key}={l.Value}")).Distinct().Order(StringComparer.Ordinal);
            problems.Add(new ConfigProblem($"{key}.{ServiceKeys.Selector}", string.Join(",", service.Selector.Select(s => $"{s.Key}={s.Value}")),
                $"matches no pod of the stack (pod labels: {string.Join(", ", labels)})", "change the selector or a pod's labels so they match"));
        }
    }

    /// <summary>True when the pod is in the service's namespace and has every key of its selector with the same value.</summary>
    public static bool Selects(ServiceSpec service, PodSpec pod) => pod.Namespace == service.Namespace && MatchesLabels(service, pod);

    private static bool MatchesLabels(ServiceSpec service, PodSpec pod)
    {
        if (service.Selector.IsEmpty)
            return false;
        foreach (var (key, value) in service.Selector) // a loop, not All: no closure per service and pod
        {
            if (!pod.Labels.TryGetValue(key, out var v) || v != value)
                return false;
        }
        return true;
    }
}
