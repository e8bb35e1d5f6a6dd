using Provisioner.ServiceRules.Model;

namespace Provisioner.ServiceRules.Tests;

/// <summary>Service tables shared by the unit tests: small, readable, one of each feature.</summary>
internal static class Samples
{
    public static NodeContext NodeA { get; } = new("node-a", ["192.168.50.1"], "10.244.0.0/16", "10.96.0.0/16");

    public static Service Web { get; } = new()
    {
        Namespace = "default",
        Name = "web",
        ClusterIP = "10.96.0.10",
        Ports = [new ServicePort("http", 80, 8080)],
        Endpoints = [new("10.244.1.2", "node-a"), new("10.244.1.3", "node-a"), new("10.244.2.2", "node-b")],
    };

    public static Service NodePortWeb { get; } = Web with
    {
        Name = "web-np",
        Type = ServiceType.NodePort,
        ClusterIP = "10.96.0.11",
        Ports = [new ServicePort("http", 80, 8080, NodePort: 30080)],
    };

    public static Service Sticky { get; } = Web with
    {
        Name = "sticky",
        ClusterIP = "10.96.0.12",
        SessionAffinity = SessionAffinity.ClientIP,
        SessionAffinityTimeoutSeconds = 600,
    };

    public static Service LocalLb { get; } = Web with
    {
        Name = "local-lb",
        Type = ServiceType.LoadBalancer,
        ClusterIP = "10.96.0.13",
        Ports = [new ServicePort("http", 80, 8080, NodePort: 30081)],
        LoadBalancerIPs = ["203.0.113.10"],
        ExternalIPs = ["198.51.100.7"],
        ExternalTrafficPolicy = TrafficPolicy.Local,
    };

    public static Service Empty { get; } = Web with { Name = "empty", ClusterIP = "10.96.0.14", Endpoints = [] };

    public static Service Headless { get; } = Web with { Name = "db", ClusterIP = Service.Headless };

    public static Service External { get; } = new()
    {
        Namespace = "default", Name = "ext", Type = ServiceType.ExternalName, ExternalName = "example.org",
    };

    public static Service Dns { get; } = new()
    {
        Namespace = "kube-system",
        Name = "kube-dns",
        ClusterIP = "10.96.0.53",
        Ports = [new ServicePort("dns", 53, 53, ServiceProtocol.UDP), new ServicePort("dns-tcp", 53, 53)],
        Endpoints = [new("10.244.1.5", "node-a")],
    };

    public static ServiceTable All { get; } = new([Web, NodePortWeb, Sticky, LocalLb, Empty, Headless, External, Dns]);

    /// <summary>n services with 3 endpoints each, as the benchmark builds them.</summary>
    public static ServiceTable Many(int n) => new([.. Enumerable.Range(0, n).Select(i => new Service
    {
        Namespace = "bench",
        Name = $"svc-{i}",
        ClusterIP = $"10.96.{i / 250}.{i % 250 + 1}",
        Ports = [new ServicePort("http", 80, 8080)],
        Endpoints = [.. Enumerable.Range(0, 3).Select(j => new Endpoint($"10.244.{i / 80}.{i % 80 * 3 + j + 1}", "node-a"))],
    })]);
}
