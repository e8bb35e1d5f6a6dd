using k8s.Models;

namespace Provisioner.Proxy.Tests.Fakes;

/// <summary>KubernetesClient model objects as a cluster holds them, built briefly for tests.</summary>
public static class Api
{
    public const string Namespace = "lab";

    public static V1Service Service(string name, string clusterIp, params V1ServicePort[] ports) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace },
        Spec = new V1ServiceSpec { Type = "ClusterIP", ClusterIP = clusterIp, ClusterIPs = [clusterIp], Ports = ports },
    };

    public static V1ServicePort Port(string name, int port, int targetPort, string protocol = "TCP", int? nodePort = null) =>
        new() { Name = name, Port = port, TargetPort = targetPort, Protocol = protocol, NodePort = nodePort };

    public static V1Service NodePort(this V1Service service)
    {
        service.Spec.Type = "NodePort";
        return service;
    }

    /// <summary>An EndpointSlice for <paramref name="service"/> with one port per (name, port).</summary>
    public static V1EndpointSlice Slice(string name, string service, (string Name, int Port, string Protocol)[] ports, params V1Endpoint[] endpoints) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name, NamespaceProperty = Namespace,
            Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = service },
        },
        AddressType = "IPv4",
        Ports = [.. ports.Select(p => new Discoveryv1EndpointPort { Name = p.Name, Port = p.Port, Protocol = p.Protocol })],
        Endpoints = endpoints,
    };

    public static V1Endpoint Endpoint(string address, string node, bool ready = true, bool terminating = false) => new()
    {
        Addresses = [address],
        NodeName = node,
        Conditions = new V1EndpointConditions { Ready = ready, Serving = ready || terminating, Terminating = terminating },
    };

    public static V1Node Node(string name, string internalIp) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Status = new V1NodeStatus { Addresses = [new V1NodeAddress { Type = "InternalIP", Address = internalIp }, new V1NodeAddress { Type = "Hostname", Address = name }] },
    };

    /// <summary>Type LoadBalancer (keeping its ports' nodePorts), with <paramref name="policy"/> as externalTrafficPolicy.</summary>
    public static V1Service LoadBalancer(this V1Service service, string policy = "Cluster", string? loadBalancerIP = null)
    {
        service.Spec.Type = "LoadBalancer";
        service.Spec.ExternalTrafficPolicy = policy;
        service.Spec.LoadBalancerIP = loadBalancerIP;
        return service;
    }

    public static V1Service WithExternalIPs(this V1Service service, params string[] ips)
    {
        service.Spec.ExternalIPs = ips;
        return service;
    }

    /// <summary>The service's status as an allocator wrote it.</summary>
    public static V1Service WithIngress(this V1Service service, params string[] ips)
    {
        service.Status = new V1ServiceStatus { LoadBalancer = new V1LoadBalancerStatus { Ingress = [.. ips.Select(ip => new V1LoadBalancerIngress { Ip = ip })] } };
        return service;
    }

    /// <summary>The node with its Ready condition as the node controller sets it (True, False, or Unknown when it lost contact).</summary>
    public static V1Node Ready(this V1Node node, string status)
    {
        node.Status.Conditions = [new V1NodeCondition { Type = "Ready", Status = status, Reason = status == "True" ? "KubeletReady" : "NodeStatusUnknown" }];
        return node;
    }
}
