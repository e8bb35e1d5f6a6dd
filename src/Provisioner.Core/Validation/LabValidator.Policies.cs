using System.Text.RegularExpressions;
using Provisioner.Core.Config;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;

namespace Provisioner.Core.Validation;

public static partial class LabValidator
{
    private static void CheckPolicies(List<ConfigProblem> problems, LabConfig lab)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lab.Namespaces.Length; i++)
        {
            var ns = lab.Namespaces[i];
            var key = $"{ConfigKeys.Namespaces}[{i}]";
            CheckDnsLabel(problems, $"{key}.name", ns.Name, "team-a", "it is a Kubernetes namespace's name");
            if (!seen.Add(ns.Name))
                problems.Add(new ConfigProblem($"{key}.name", ns.Name, "is listed twice", "keep one entry per namespace and merge their labels"));
            CheckLabels(problems, $"{key}.labels", ns.Labels);
            if (ns.Labels.TryGetValue(NamespaceSpec.NameLabel, out var named) && named != ns.Name)
                problems.Add(new ConfigProblem($"{key}.labels.{NamespaceSpec.NameLabel}", named,
                    $"is set by the API server to the namespace's own name ({ns.Name}) and cannot be changed", $"remove the label (it is always {ns.Name})"));
        }
        for (var i = 0; i < lab.Pods.Length; i++)
        {
            CheckLabels(problems, $"pods[{i}].labels", lab.Pods[i].Labels);
            if (lab.Pods[i].PortName is { } name && !IsPortName(name))
                problems.Add(new ConfigProblem($"pods[{i}].portName", name, PortNameRule, ConfigKeys.SetCommand($"pods[{i}].portName", "http")));
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lab.NetworkPolicies.Length; i++)
        {
            var policy = lab.NetworkPolicies[i];
            var key = $"{ConfigKeys.NetworkPolicies}[{i}]";
            CheckDnsLabel(problems, $"{key}.name", policy.Name, "deny-all", "it names the policy in plan, explain and verify");
            CheckDnsLabel(problems, $"{key}.namespace", policy.Namespace, "default", "a policy selects pods of its own namespace");
            if (!ids.Add(policy.Id))
                problems.Add(new ConfigProblem($"{key}.name", policy.Name, $"is used by another policy in namespace {policy.Namespace}", ConfigKeys.SetCommand($"{key}.name", policy.Name + "-2")));
            CheckSelector(problems, $"{key}.podSelector", policy.PodSelector);
            if (policy.PolicyTypes is { IsEmpty: true })
                problems.Add(new ConfigProblem($"{key}.policyTypes", "[]", "is empty: list Ingress, Egress or both, or remove the key to have v1's default (Ingress, plus Egress when there are egress rules)",
                    $"pulumi config rm --path '{key}.policyTypes'"));
            else if (policy.PolicyTypes is { } types && !types.Contains(PolicyType.Egress) && !policy.Egress.IsEmpty)
                problems.Add(new ConfigProblem($"{key}.policyTypes", string.Join(",", types), "leaves out Egress, so the policy's egress rules would be ignored",
                    $"add Egress: pulumi config set --path '{key}.policyTypes[{types.Length}]' Egress, or remove the egress rules"));
            CheckRules(problems, $"{key}.ingress", "from", policy.Ingress);
            CheckRules(problems, $"{key}.egress", "to", policy.Egress);
        }
    }

    private static void CheckRules(List<ConfigProblem> problems, string key, string peersKey, IReadOnlyList<PolicyRuleSpec> rules)
    {
        for (var r = 0; r < rules.Count; r++)
        {
            var ruleKey = $"{key}[{r}]";
            for (var p = 0; p < rules[r].Peers.Length; p++)
                CheckPeer(problems, $"{ruleKey}.{peersKey}[{p}]", rules[r].Peers[p]);
            for (var p = 0; p < rules[r].Ports.Length; p++)
                CheckPolicyPort(problems, $"{ruleKey}.ports[{p}]", rules[r].Ports[p]);
        }
    }

    private static void CheckPeer(List<ConfigProblem> problems, string key, PolicyPeerSpec peer)
    {
        if (peer.IpBlock is { } block)
        {
            if (peer.PodSelector is not null || peer.NamespaceSelector is not null)
                problems.Add(new ConfigProblem($"{key}.ipBlock", block.Cidr, "cannot be combined with podSelector or namespaceSelector in one peer",
                    "make the ipBlock a peer of its own (another '- ipBlock:' entry of the list)"));
            if (!Cidr.TryParse(block.Cidr, out var cidr, out var error))
            {
                problems.Add(new ConfigProblem($"{key}.ipBlock.cidr", block.Cidr, error, ConfigKeys.SetCommand($"{key}.ipBlock.cidr", "10.244.0.0/16")));
                return;
            }
            for (var e = 0; e < block.Except.Length; e++)
            {
                var exceptKey = $"{key}.ipBlock.except[{e}]";
                if (!Cidr.TryParse(block.Except[e], out var except, out var exceptError))
                    problems.Add(new ConfigProblem(exceptKey, block.Except[e], exceptError, ConfigKeys.SetCommand(exceptKey, cidr.Network + "/" + Math.Min(32, cidr.Cidr + 1))));
                else if (except.Cidr <= cidr.Cidr || !cidr.Contains(except))
                    problems.Add(new ConfigProblem(exceptKey, block.Except[e], $"must be a smaller range inside the block's cidr {block.Cidr}",
                        "pick a range inside the cidr, or remove the except entry"));
            }
            return;
        }
        if (peer.PodSelector is null && peer.NamespaceSelector is null)
            problems.Add(new ConfigProblem(key, null, "names no peer", "give it a podSelector, a namespaceSelector, both, or an ipBlock (use {} to select all)"));
        if (peer.PodSelector is { } pods)
            CheckSelector(problems, $"{key}.podSelector", pods);
        if (peer.NamespaceSelector is { } namespaces)
            CheckSelector(problems, $"{key}.namespaceSelector", namespaces);
    }

    private static void CheckPolicyPort(List<ConfigProblem> problems, string key, PolicyPortSpec port)
    {
        if (port.Port is { } text && port.Number is null && !IsPortName(text))
            problems.Add(new ConfigProblem($"{key}.port", text, $"is neither a port number nor a port name ({PortNameRule})", ConfigKeys.SetCommand($"{key}.port", "8080")));
        if (port.Number is < 1 or > 65535)
            problems.Add(new ConfigProblem($"{key}.port", port.Port, "must be a port from 1 to 65535", ConfigKeys.SetCommand($"{key}.port", "8080")));
        if (port.EndPort is not { } end)
            return;
        if (port.Number is not { } start)
            problems.Add(new ConfigProblem($"{key}.endPort", Str(end), "needs a numeric port to start the range (a named port has no range)",
                ConfigKeys.SetCommand($"{key}.port", "8080")));
        else if (end < start || end > 65535)
            problems.Add(new ConfigProblem($"{key}.endPort", Str(end), $"must be from port ({start}) to 65535", ConfigKeys.SetCommand($"{key}.endPort", Str(Math.Max(start, 1)))));
    }

    private static void CheckSelector(List<ConfigProblem> problems, string key, LabelSelector selector)
    {
        CheckLabels(problems, $"{key}.matchLabels", selector.MatchLabels);
        for (var e = 0; e < selector.MatchExpressions.Length; e++)
        {
            var expression = selector.MatchExpressions[e];
            var exprKey = $"{key}.matchExpressions[{e}]";
            var needsValues = expression.Operator is SelectorOperator.In or SelectorOperator.NotIn;
            if (needsValues && expression.Values.IsEmpty)
                problems.Add(new ConfigProblem($"{exprKey}.values", "[]", $"must list at least one value for operator {expression.Operator}",
                    $"pulumi config set --path '{exprKey}.values[0]' web"));
            else if (!needsValues && !expression.Values.IsEmpty)
                problems.Add(new ConfigProblem($"{exprKey}.values", string.Join(",", expression.Values), $"must be empty for operator {expression.Operator}",
                    $"pulumi config rm --path '{exprKey}.values'"));
            if (!IsLabelKey(expression.Key))
                problems.Add(new ConfigProblem($"{exprKey}.key", expression.Key, LabelKeyRule, ConfigKeys.SetCommand($"{exprKey}.key", "app")));
        }
    }

    private static void CheckLabels(List<ConfigProblem> problems, string key, IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (name, value) in labels)
        {
            if (!IsLabelKey(name))
                problems.Add(new ConfigProblem($"{key}.{name}", name, LabelKeyRule, "rename the label, e.g. app"));
            if (value.Length > 63 || (value.Length > 0 && !LabelValue().IsMatch(value)))
                problems.Add(new ConfigProblem($"{key}.{name}", value,
                    "must be at most 63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
                    ConfigKeys.SetCommand($"{key}.{name}", "web")));
        }
    }

    private const string LabelKeyRule = "must be a label key: an optional DNS prefix and '/', then 1-63 characters of letters, digits, '-', '_' and '.'";
    private const string PortNameRule = "a port name is 1-15 lowercase letters, digits and '-', with at least one letter, not starting or ending with '-'";

    private static bool IsLabelKey(string key)
    {
        var slash = key.LastIndexOf('/');
        var name = slash < 0 ? key : key[(slash + 1)..];
        return name.Length is > 0 and <= 63 && LabelValue().IsMatch(name) && (slash < 0 || IsDnsSubdomain(key[..slash]));
    }

    /// <summary>IANA_SVC_NAME, Kubernetes' rule for a container port's name.</summary>
    public static bool IsPortName(string name) => name.Length is > 0 and <= 15 && PortName().IsMatch(name) && name.Any(char.IsAsciiLetterLower) && !name.Contains("--", StringComparison.Ordinal);

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$")]
    private static partial Regex LabelValue();

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex PortName();
}
