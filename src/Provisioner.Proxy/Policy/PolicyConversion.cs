using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using k8s.Models;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Core.Policy;
using Provisioner.Proxy.Tracking;

namespace Provisioner.Proxy.Policy;

/// <summary>
/// The API's NetworkPolicies, Namespaces and Pods as Core's policy model, so the VM lab's rules come from the same
/// selection code as the netns lab's (<see cref="PolicyEvaluator"/>, <c>StackPolicyTable</c>). A policy the rules
/// cannot express raises <see cref="SkippedObjectException"/> naming the field (the apiserver refuses such objects,
/// so this guards against a cluster or a client that did not).
/// </summary>
internal static class PolicyConversion
{
    public static NetworkPolicySpec ToPolicy(V1NetworkPolicy api)
    {
        var spec = api.Spec ?? throw new SkippedObjectException("spec", "the NetworkPolicy has no spec");
        return new NetworkPolicySpec
        {
            Name = api.Metadata.Name,
            Namespace = api.Metadata.NamespaceProperty ?? "default",
            PodSelector = Selector(spec.PodSelector, "spec.podSelector") ?? LabelSelector.Everything,
            // The apiserver defaults policyTypes; an object without them takes v1's default, as the stack's does.
            PolicyTypes = spec.PolicyTypes is { Count: > 0 } types
                ? [.. types.Select((t, i) => Parse<PolicyType>(t, $"spec.policyTypes[{i}]"))]
                : null,
            Ingress = [.. Rules(spec.Ingress, r => r.FromProperty, r => r.Ports, "spec.ingress", "from")],
            Egress = [.. Rules(spec.Egress, r => r.To, r => r.Ports, "spec.egress", "to")],
        };
    }

    public static NamespaceSpec ToNamespace(V1Namespace api) => new()
    {
        Name = api.Metadata.Name,
        // kubernetes.io/metadata.name is in the API's labels already; EffectiveLabels sets it in any case.
        Labels = Labels(api.Metadata.Labels),
    };

    /// <summary>
    /// A pod as a policy sees it: its labels, node, IPv4 address and container ports (what named ports resolve
    /// against). Null for a pod policies do not apply to or cannot reach yet: hostNetwork, no address, not scheduled,
    /// or finished (Succeeded/Failed pods hold no address in the pod network).
    /// </summary>
    public static PolicyEndpoint.Pod? ToPod(V1Pod api)
    {
        if (api.Spec is not { } spec || spec.HostNetwork == true || string.IsNullOrEmpty(spec.NodeName)
            || api.Status?.Phase is "Succeeded" or "Failed")
            return null;
        var ips = api.Status?.PodIPs?.Select(p => p.Ip) ?? (api.Status?.PodIP is { } one ? [one] : []);
        var address = ips.Select(ip => IPAddress.TryParse(ip, out var a) ? a : null)
            .FirstOrDefault(a => a is not null && a.AddressFamily == AddressFamily.InterNetwork);
        if (address is null)
            return null;
        var pod = new PodSpec
        {
            Name = api.Metadata.Name, Namespace = api.Metadata.NamespaceProperty ?? "default", Node = spec.NodeName,
            Labels = Labels(api.Metadata.Labels),
        };
        var ports = (spec.Containers ?? []).SelectMany(c => c.Ports ?? [])
            .Where(p => p.ContainerPort is > 0 and <= 65535 && Enum.TryParse<TransportProtocol>(p.Protocol ?? "TCP", out _))
            .Select(p => new ServedPort(string.IsNullOrEmpty(p.Name) ? null : p.Name, p.ContainerPort, Enum.Parse<TransportProtocol>(p.Protocol ?? "TCP")));
        return new PolicyEndpoint.Pod(pod, address) { Ports = [.. ports.Distinct()] };
    }

    private static IEnumerable<PolicyRuleSpec> Rules<T>(IList<T>? rules, Func<T, IList<V1NetworkPolicyPeer>?> peers,
        Func<T, IList<V1NetworkPolicyPort>?> ports, string field, string peersField)
    {
        for (var i = 0; i < (rules?.Count ?? 0); i++)
        {
            var rule = rules![i];
            var written = peers(rule) ?? [];
            var converted = written.Select((p, j) => Peer(p, $"{field}[{i}].{peersField}[{j}]")).OfType<PolicyPeerSpec>().ToImmutableArray();
            // A rule whose peers were all IPv6 blocks allows nothing over IPv4: left out, the policy still isolates.
            if (written.Count > 0 && converted.IsEmpty)
                continue;
            yield return new PolicyRuleSpec { Peers = converted, Ports = [.. (ports(rule) ?? []).Select((p, j) => Port(p, $"{field}[{i}].ports[{j}]"))] };
        }
    }

    /// <summary>One peer; null for an IPv6 ipBlock (the rules are IPv4 only, and no IPv4 address is in it).</summary>
    private static PolicyPeerSpec? Peer(V1NetworkPolicyPeer peer, string field)
    {
        if (peer.IpBlock is { } block)
        {
            if (peer.PodSelector is not null || peer.NamespaceSelector is not null)
                throw new SkippedObjectException(field, "an ipBlock cannot share a peer with a podSelector or namespaceSelector");
            var cidr = Block(block.Cidr, $"{field}.ipBlock.cidr");
            if (cidr is null)
                return null;
            var except = (block.Except ?? []).Select((e, k) => (Text: e, Net: Block(e, $"{field}.ipBlock.except[{k}]"))).Where(e => e.Net is not null).ToList();
            foreach (var (text, net) in except)
            {
                if (!cidr.Contains(net!))
                    throw new SkippedObjectException($"{field}.ipBlock.except", $"{text} is not inside {block.Cidr}");
            }
            return new PolicyPeerSpec { IpBlock = new IpBlockSpec(cidr.ToString(), [.. except.Select(e => e.Net!.ToString())]) };
        }
        if (peer.PodSelector is null && peer.NamespaceSelector is null)
            throw new SkippedObjectException(field, "a peer needs a podSelector, a namespaceSelector or an ipBlock");
        return new PolicyPeerSpec
        {
            PodSelector = Selector(peer.PodSelector, $"{field}.podSelector"),
            NamespaceSelector = Selector(peer.NamespaceSelector, $"{field}.namespaceSelector"),
        };
    }

    /// <summary>An IPv4 CIDR (host bits cleared, as the API requires), null for an IPv6 one.</summary>
    private static IPNetwork2? Block(string? text, string field)
    {
        if (text is not null && text.Contains(':', StringComparison.Ordinal) && IPNetwork2.TryParse(text, out _))
            return null;
        return Cidr.TryParse(text, out var net, out var reason) ? net : throw new SkippedObjectException(field, $"'{text}' {reason}");
    }

    private static PolicyPortSpec Port(V1NetworkPolicyPort port, string field)
    {
        var converted = new PolicyPortSpec
        {
            Protocol = Parse<TransportProtocol>(port.Protocol ?? "TCP", $"{field}.protocol"),
            Port = port.Port?.Value is { Length: > 0 } value ? value : null,
            EndPort = port.EndPort,
        };
        if (converted.Number is { } n && n is < 1 or > 65535)
            throw new SkippedObjectException($"{field}.port", $"{n} is not a port (1-65535)");
        if (converted.EndPort is { } end && (converted.Number is not { } start || end < start || end > 65535))
            throw new SkippedObjectException($"{field}.endPort", $"{end} needs a numbered port at or below it (a named port takes no range)");
        return converted;
    }

    private static LabelSelector? Selector(V1LabelSelector? selector, string field) => selector is null ? null : new LabelSelector
    {
        MatchLabels = Labels(selector.MatchLabels),
        MatchExpressions = [.. (selector.MatchExpressions ?? []).Select((e, i) => new SelectorRequirement(e.Key,
            Parse<SelectorOperator>(e.OperatorProperty, $"{field}.matchExpressions[{i}].operator"), [.. e.Values ?? []]))],
    };

    private static ImmutableSortedDictionary<string, string> Labels(IDictionary<string, string>? labels) =>
        labels is null ? ImmutableSortedDictionary<string, string>.Empty : labels.ToImmutableSortedDictionary(StringComparer.Ordinal);

    private static T Parse<T>(string? text, string field) where T : struct, Enum =>
        text is not null && Enum.TryParse<T>(text, ignoreCase: false, out var value) && Enum.IsDefined(value)
            ? value
            : throw new SkippedObjectException(field, string.Create(CultureInfo.InvariantCulture, $"'{text}' is not one of {string.Join(", ", Enum.GetNames<T>())}"));
}
