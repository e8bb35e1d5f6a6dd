using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using Provisioner.Core.Model;

namespace Provisioner.Core.Planning;

/// <summary>
/// Cluster DNS as a cluster has it: a DNS pod in <c>kube-system</c> behind the service <c>kube-system/kube-dns</c> on
/// the service range's 10th address, UDP and TCP 53, and the resolv.conf kubelet writes into every other pod.
/// The netns plan adds the pod and the service to the lab (<see cref="WithDnsWorkloads"/>) so the same CNI, fabric
/// and service rules carry DNS as carry every other service; on VMs kubeadm's CoreDNS is that pod.
/// </summary>
public static class ClusterDns
{
    public const string Namespace = "kube-system";
    public const string ServiceName = "kube-dns";
    public const string PodName = "kube-dns";
    public const int Port = 53;

    /// <summary>The version of the Kubernetes DNS specification the records follow (its <c>dns-version</c> TXT record).</summary>
    public const string SchemaVersion = "1.1.0";

    public static readonly ImmutableSortedDictionary<string, string> Labels =
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [new KeyValuePair<string, string>("k8s-app", "kube-dns")]);

    public static bool IsDnsPod(PodSpec pod) => pod.Name == PodName && pod.Namespace == Namespace;

    public static bool IsDnsService(ServiceSpec service) => service.Name == ServiceName && service.Namespace == Namespace;

    /// <summary>The DNS service's address: the 10th of the service range, as kubeadm chooses it.</summary>
    public static IPAddress Address(IPNetwork2 serviceCidr) => Cidr.Nth(serviceCidr, 10);

    /// <summary>The lab with the DNS pod (on the control plane) and its service appended after the stack's own.</summary>
    public static LabConfig WithDnsWorkloads(LabConfig lab)
    {
        var serviceCidr = Cidr.Parse(lab.Network.ServiceCidr);
        var pod = new PodSpec { Name = PodName, Namespace = Namespace, Node = lab.ControlPlane.Name, Labels = Labels, Port = Port };
        var service = new ServiceSpec
        {
            Name = ServiceName, Namespace = Namespace, ClusterIP = Address(serviceCidr).ToString(), Selector = Labels,
            Ports = [new ServicePortSpec { Name = "dns", Port = Port, Protocol = TransportProtocol.UDP },
                     new ServicePortSpec { Name = "dns-tcp", Port = Port, Protocol = TransportProtocol.TCP }],
        };
        return lab with { Pods = lab.Pods.Add(pod), Services = lab.Services.Add(service) };
    }

    /// <summary>The search path kubelet gives a pod of <paramref name="podNamespace"/> (dnsPolicy ClusterFirst).</summary>
    public static IReadOnlyList<string> SearchPath(string podNamespace, string zone) => [$"{podNamespace}.svc.{zone}", $"svc.{zone}", zone];

    /// <summary>The resolv.conf kubelet writes into a pod (dnsPolicy ClusterFirst).</summary>
    public static string ResolvConf(IPAddress nameserver, string podNamespace, string zone) =>
        $"nameserver {nameserver}\nsearch {string.Join(' ', SearchPath(podNamespace, zone))}\noptions ndots:5\n";

    /// <summary>A service's name in the zone: <c>name.ns.svc.zone</c>.</summary>
    public static string ServiceFqdn(string name, string @namespace, string zone) => $"{name}.{@namespace}.svc.{zone}";

    /// <summary>The reverse-lookup name of an IPv4 address (<c>d.c.b.a.in-addr.arpa</c>).</summary>
    public static string ReverseName(IPAddress address) =>
        string.Join('.', address.GetAddressBytes().Reverse().Select(b => b.ToString(CultureInfo.InvariantCulture))) + ".in-addr.arpa";
}
