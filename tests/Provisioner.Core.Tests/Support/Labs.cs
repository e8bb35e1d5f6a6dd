using System.Collections.Immutable;
using Provisioner.Core.Model;

namespace Provisioner.Core.Tests.Support;

/// <summary>Valid labs to start from; each spec changes one thing with <c>with</c> and looks at what that did.</summary>
internal static class Labs
{
    /// <summary>A control plane, two workers, web and api pods, a ClusterIP and a NodePort service: no problems.</summary>
    public static LabConfig Valid() => new()
    {
        Name = "lab",
        Nodes = [ControlPlane("cp1"), Worker("worker1"), Worker("worker2")],
        Pods =
        [
            Pod("web-1", "worker1", "web"),
            Pod("web-2", "worker2", "web"),
            Pod("api-1", "worker1", "api"),
        ],
        Services =
        [
            Service("web", ServiceType.ClusterIP, "web", Port(80, 8080)),
            Service("api", ServiceType.NodePort, "api", Port(8080, 8080)),
        ],
    };

    /// <summary>The same lab built from namespaces on this host.</summary>
    public static LabConfig ValidNetns() => Valid() with { Backend = Backend.Netns };

    public static NodeSpec ControlPlane(string name) =>
        new() { Name = name, Role = NodeRole.ControlPlane, Cpus = 2, Memory = ByteSize.FromGiB(2), Disk = ByteSize.FromGiB(20) };

    public static NodeSpec Worker(string name) =>
        new() { Name = name, Role = NodeRole.Worker, Cpus = 1, Memory = ByteSize.FromGiB(1), Disk = ByteSize.FromGiB(20) };

    public static PodSpec Pod(string name, string node, string app) =>
        new() { Name = name, Node = node, Labels = Labels(("app", app)) };

    public static ServiceSpec Service(string name, ServiceType type, string app, params ServicePortSpec[] ports) =>
        new() { Name = name, Type = type, Selector = Labels(("app", app)), Ports = [.. ports] };

    public static ServicePortSpec Port(int port, int targetPort = 0, int nodePort = 0) =>
        new() { Port = port, TargetPort = targetPort, NodePort = nodePort };

    public static ImmutableSortedDictionary<string, string> Labels(params (string Key, string Value)[] labels) =>
        labels.ToImmutableSortedDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal);

    public static LabConfig WithNetwork(this LabConfig lab, Func<NetworkSpec, NetworkSpec> change) =>
        lab with { Network = change(lab.Network) };

    public static LabConfig WithNode(this LabConfig lab, int index, Func<NodeSpec, NodeSpec> change) =>
        lab with { Nodes = lab.Nodes.SetItem(index, change(lab.Nodes[index])) };

    public static LabConfig WithPod(this LabConfig lab, int index, Func<PodSpec, PodSpec> change) =>
        lab with { Pods = lab.Pods.SetItem(index, change(lab.Pods[index])) };

    public static LabConfig WithService(this LabConfig lab, int index, Func<ServiceSpec, ServiceSpec> change) =>
        lab with { Services = lab.Services.SetItem(index, change(lab.Services[index])) };

    public static LabConfig AddService(this LabConfig lab, ServiceSpec service) =>
        lab with { Services = lab.Services.Add(service) };

    /// <summary>A lab with <paramref name="count"/> nodes: one control plane and workers w1..wN.</summary>
    public static LabConfig WithNodeCount(this LabConfig lab, int count) =>
        lab with
        {
            Nodes = [ControlPlane("cp1"), .. Enumerable.Range(1, count - 1).Select(i => Worker($"w{i}"))],
            Pods = [],
            Services = [],
        };
}
