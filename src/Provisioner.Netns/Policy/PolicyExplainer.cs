using System.Text;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Core.Policy;
using Provisioner.ServiceRules.Policy;
using Provisioner.StackRules;

namespace Provisioner.Netns.Policy;

/// <summary>
/// <c>netlab explain policy POD</c>: which policies select the pod in each direction, each rule as v1 reads it, and
/// the kernel rules it became on the pod's node, as iptables-save or nft list prints them.
/// </summary>
public static class PolicyExplainer
{
    public static string Explain(LabPlan plan, PodSpec pod, PolicyTable table)
    {
        var evaluator = new PolicyEvaluator(plan.Lab);
        var id = StackPolicyTable.Id(pod);
        var rules = table.Pods.FirstOrDefault(p => p.Pod == id);
        var node = StackPolicyTable.Node(plan, pod.Node);
        var backend = StackServiceTable.Backend(plan.Lab.Network.ServiceRules);
        var text = new StringBuilder();
        text.Append("pod ").Append(id).Append(" (").Append(rules?.Address ?? "no address yet").Append(" on ").Append(pod.Node)
            .Append(", labels ").Append(pod.Labels.IsEmpty ? "none" : string.Join(",", pod.Labels.Select(l => $"{l.Key}={l.Value}")))
            .Append(", namespace labels ").Append(string.Join(",", evaluator.NamespaceLabels(pod.Namespace).Select(l => $"{l.Key}={l.Value}"))).Append(")\n");
        foreach (var type in new[] { PolicyType.Ingress, PolicyType.Egress })
        {
            var direction = type == PolicyType.Ingress ? "ingress" : "egress";
            var policies = evaluator.Selecting(pod, type).ToList();
            if (policies.Count == 0)
            {
                text.Append(direction).Append(": not isolated (no policy with ").Append(type).Append(" in policyTypes selects it): everything is allowed\n");
                continue;
            }
            text.Append(direction).Append(": isolated by ").Append(string.Join(", ", policies.Select(p => $"{p.Id} (podSelector {p.PodSelector})"))).Append('\n');
            foreach (var policy in policies)
            {
                var specs = policy.Rules(type);
                if (specs.IsEmpty)
                    text.Append("  ").Append(policy.Id).Append(": no ").Append(direction).Append(" rules (allows nothing by itself)\n");
                for (var i = 0; i < specs.Length; i++)
                    text.Append("  ").Append(policy.Id).Append(' ').Append(direction).Append('[').Append(i).Append("]: ").Append(Describe(specs[i], type)).Append('\n');
            }
            text.Append("  anything else: rejected (ICMP admin-prohibited); replies of allowed connections pass (conntrack)\n");
        }
        if (rules is null)
            return text.ToString();
        text.Append("\nrules on ").Append(pod.Node).Append(" (").Append(backend).Append("):\n");
        if (backend == ServiceRules.Applying.RuleBackend.Nftables)
        {
            var nft = PolicyNftCompiler.Compile(table, node) ?? "";
            foreach (var chain in new[] { PolicyChainNames.Nft(id, ingress: true), PolicyChainNames.Nft(id, ingress: false) })
            {
                var start = nft.IndexOf($"\tchain {chain} {{", StringComparison.Ordinal);
                if (start >= 0)
                    text.Append(nft[start..(nft.IndexOf("\t}\n", start, StringComparison.Ordinal) + 3)]);
            }
        }
        else
        {
            var compiled = PolicyIptablesCompiler.Compile(table, node);
            var podChains = new[] { PolicyChainNames.Iptables(id, ingress: true), PolicyChainNames.Iptables(id, ingress: false) };
            var jumps = compiled.Chains.GetValueOrDefault(PolicyChainNames.Forward, []).Where(l => podChains.Any(c => l.EndsWith("-j " + c, StringComparison.Ordinal)));
            var own = podChains.Where(compiled.Chains.ContainsKey).SelectMany(c => compiled.Chains[c]).ToList();
            var shared = own.Select(l => l[(l.LastIndexOf("-j ", StringComparison.Ordinal) + 3)..]).Where(compiled.Chains.ContainsKey).Distinct().SelectMany(c => compiled.Chains[c]);
            foreach (var line in jumps.Concat(own).Concat(shared))
                text.Append("  ").Append(line).Append('\n');
        }
        return text.ToString();
    }

    private static string Describe(PolicyRuleSpec rule, PolicyType type)
    {
        var peers = rule.Peers.IsEmpty ? "everyone" : string.Join(" or ", rule.Peers.Select(p => p.ToString()));
        var ports = rule.Ports.IsEmpty ? "every port" : string.Join(", ", rule.Ports.Select(p => p.ToString()));
        return $"{(type == PolicyType.Ingress ? "from" : "to")} {peers} on {ports}";
    }
}
