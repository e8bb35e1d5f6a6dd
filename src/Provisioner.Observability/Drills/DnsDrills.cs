using System.Net;
using Provisioner.Core.Planning;
using Provisioner.Core.Verification;
using Provisioner.Netns;

namespace Provisioner.Observability.Drills;

/// <summary>Drills in cluster DNS as a pod sees it.</summary>
internal static class DnsDrills
{
    public static IEnumerable<Drill> For(DrillLab lab)
    {
        var plan = lab.Plan;
        if (!plan.Lab.Pods.Any(ClusterDns.IsDnsPod) || lab.UserPods.FirstOrDefault() is not { } pod)
            yield break;
        var netns = lab.Layout.PodNamespace(pod.Name);
        var path = LabLayout.ResolvConfPath(netns);
        // A nameserver one past the cluster DNS address, as a kubelet with a mistyped clusterDNS would write it.
        var wrong = Cidr.Nth(new IPNetwork2(plan.Addresses.ClusterDns, 32), 1);
        var service = plan.Addresses.Services.FirstOrDefault(s => s.ClusterIP is not null && !ClusterDns.IsDnsService(s.Spec));
        yield return new Drill("resolv-conf",
            $"In pod {pod.Name}, names do not resolve (`sudo netlab exec {pod.Name} -- getent hosts {service?.Spec.Name ?? "kubernetes"}` waits, then fails), " +
            $"while the same names resolve from every other pod, and {pod.Name} reaches services by their IP.",
            nameof(Layer.Dns),
            [new DrillCommand(["tee", path]) { Stdin = (_, _) => Task.FromResult(ClusterDns.ResolvConf(wrong, pod.Namespace, plan.Lab.Network.ClusterDomain)) }],
            [],
            UpRepairs: true,
            $"{path} (what `ip netns exec` shows the pod as /etc/resolv.conf) names nameserver {wrong}, where nothing answers, instead of the cluster " +
            $"DNS service {plan.Addresses.ClusterDns}: the kubelet's clusterDNS setting is what writes it. `netlab up` writes it again.");
    }
}
