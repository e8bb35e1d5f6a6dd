using System.Collections.Immutable;
using System.Net;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Core.Verification;
using Provisioner.Host.Iproute;
using Provisioner.ServiceRules.Policy;
using Provisioner.StackRules;

namespace Provisioner.Observability.Drills;

/// <summary>Drills in NetworkPolicy: the rules a policy becomes, applied where <c>netlab up</c> would apply them.</summary>
internal static class PolicyDrills
{
    public static IEnumerable<Drill> For(DrillLab lab)
    {
        var plan = lab.Plan;
        var services = plan.Addresses.Services.Where(s => !ClusterDns.IsDnsService(s.Spec)).ToList();
        // A client: a pod no service sends traffic to, so only its own lookups fail.
        var pod = lab.UserPods.FirstOrDefault(p => !services.Any(s => Core.Validation.LabValidator.Selects(s.Spec, p))) ?? lab.UserPods.FirstOrDefault();
        if (!plan.Lab.Pods.Any(ClusterDns.IsDnsPod) || pod is null || services.FirstOrDefault(s => s.ClusterIP is not null) is not { } service)
            yield break;
        var policy = new NetworkPolicySpec
        {
            Name = $"{pod.Name}-egress",
            Namespace = pod.Namespace,
            PodSelector = new LabelSelector { MatchLabels = pod.Labels },
            PolicyTypes = [PolicyType.Egress],
            Egress = [new PolicyRuleSpec { Ports = [new PolicyPortSpec { Protocol = TransportProtocol.TCP }] }], // every TCP port, anywhere: UDP 53 forgotten
        };
        var withPolicy = plan.Lab with { NetworkPolicies = plan.Lab.NetworkPolicies.Add(policy) };
        var affected = withPolicy.Pods.Where(p => p.Namespace == pod.Namespace && policy.PodSelector.Matches(p.Labels)).Select(p => p.Name).ToList();
        var applier = new PolicyRulesApplier(StackServiceTable.Backend(plan.Lab.Network.ServiceRules), lab.NodeNs(pod.Node));
        var (program, arguments) = applier.ApplyCommand;
        var port = service.Ports.FirstOrDefault()?.Port ?? 80;
        var who = affected.Count == 1 ? $"pod {pod.Name}" : $"pods {string.Join(", ", affected)}";
        yield return new Drill("policy-blocks-dns",
            $"In {who}, name lookups fail at once (`sudo netlab exec {pod.Name} -- getent hosts {service.Spec.Name}` prints nothing), " +
            $"while {pod.Name} still connects to services and pods by their IP address (`sudo netlab exec {pod.Name} -- busybox wget -qO- http://{service.ClusterIP}:{port}/`) " +
            "and every other pod resolves the same names.",
            nameof(Layer.Policy),
            [new DrillCommand(NetnsExec.Argv(lab.NodeNs(pod.Node), program, arguments))
            {
                // What `up` would program on the node if the stack had this policy too: the lab's own compile and plan.
                Stdin = async (_, ct) => (await applier.PlanAsync(StackPolicyTable.Build(withPolicy, p => lab.PodAddress(p) is { } a ? IPAddress.Parse(a) : null),
                    StackPolicyTable.Node(plan, pod.Node), ct).ConfigureAwait(false)).Script,
            }],
            [],
            UpRepairs: true,
            $"NetworkPolicy {pod.Namespace}/{policy.Name}, which is in the rules of {pod.Node} but not in the stack: it selects {string.Join(", ", affected)} for egress " +
            "and allows TCP to every port, and nothing else, so the DNS queries (UDP 53 to kube-dns) are rejected on the pod's node while TCP by address passes. " +
            "An egress policy must allow DNS (UDP and TCP 53 to kube-dns) or every lookup fails. " +
            $"`netlab explain policy {pod.Name}` shows what the stack says; `ip netns exec {lab.NodeNs(pod.Node)} " +
            (plan.Lab.Network.ServiceRules == RuleBackend.Iptables ? "iptables-save -t filter | grep NETLAB-POL" : "nft list table ip netlab-policy") +
            "` what the kernel holds. `netlab plan` lists the rules, `netlab up` removes them.");
    }
}
