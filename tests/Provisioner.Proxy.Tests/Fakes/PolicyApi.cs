using k8s.Models;

namespace Provisioner.Proxy.Tests.Fakes;

/// <summary>NetworkPolicies, Pods and Namespaces as the API holds them, built briefly for tests.</summary>
public static class PolicyApi
{
    /// <summary>A namespace with its labels and, as the apiserver adds it, kubernetes.io/metadata.name.</summary>
    public static V1Namespace Namespace(string name, params (string Key, string Value)[] labels) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Labels = labels.Append(("kubernetes.io/metadata.name", name)).ToDictionary(l => l.Item1, l => l.Item2),
        },
    };

    /// <summary>A running pod scheduled on <paramref name="node"/> with its IP and one container's ports.</summary>
    public static V1Pod Pod(string name, string node, string? ip, IDictionary<string, string> labels, params V1ContainerPort[] ports) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Api.Namespace, Labels = labels },
        Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "main", Image = "busybox", Ports = ports }] },
        Status = new V1PodStatus { Phase = "Running", PodIP = ip, PodIPs = ip is null ? null : [new V1PodIP { Ip = ip }] },
    };

    public static V1Pod InNamespace(this V1Pod pod, string ns)
    {
        pod.Metadata.NamespaceProperty = ns;
        return pod;
    }

    public static V1ContainerPort ContainerPort(string? name, int port, string protocol = "TCP") => new() { Name = name, ContainerPort = port, Protocol = protocol };

    public static Dictionary<string, string> Labels(params (string Key, string Value)[] labels) => labels.ToDictionary(l => l.Key, l => l.Value);

    public static V1LabelSelector Selecting(params (string Key, string Value)[] labels) => new() { MatchLabels = Labels(labels) };

    public static V1NetworkPolicy NetworkPolicy(string name, V1NetworkPolicySpec spec, string ns = Api.Namespace) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = spec,
    };

    /// <summary>Every pod of the namespace isolated for ingress, nothing allowed (the "default deny" of the docs).</summary>
    public static V1NetworkPolicy DenyAllIngress(string name = "deny-all") =>
        NetworkPolicy(name, new V1NetworkPolicySpec { PodSelector = new V1LabelSelector(), PolicyTypes = ["Ingress"] });

    /// <summary>Ingress to pods labelled <paramref name="to"/> from pods labelled <paramref name="from"/>, on one port.</summary>
    public static V1NetworkPolicy AllowFrom(string name, (string, string) to, (string, string) from, IntOrString port) =>
        NetworkPolicy(name, new V1NetworkPolicySpec
        {
            PodSelector = Selecting(to),
            PolicyTypes = ["Ingress"],
            Ingress = [new V1NetworkPolicyIngressRule
            {
                FromProperty = [new V1NetworkPolicyPeer { PodSelector = Selecting(from) }],
                Ports = [new V1NetworkPolicyPort { Protocol = "TCP", Port = port }],
            }],
        });
}
