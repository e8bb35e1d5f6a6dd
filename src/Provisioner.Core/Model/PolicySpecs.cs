using System.Collections.Immutable;

namespace Provisioner.Core.Model;

/// <summary>A Kubernetes namespace with its labels; one not listed has only <c>kubernetes.io/metadata.name</c>.</summary>
public sealed record NamespaceSpec
{
    /// <summary>The label the API server puts on every namespace (Kubernetes 1.21+), which policies select by.</summary>
    public const string NameLabel = "kubernetes.io/metadata.name";

    public required string Name { get; init; }
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>The labels a cluster shows: the declared ones plus the name label, which cannot be overridden.</summary>
    public ImmutableSortedDictionary<string, string> EffectiveLabels => Labels.SetItem(NameLabel, Name);
}

public enum PolicyType
{
    Ingress,
    Egress,
}

/// <summary>The operators of a label selector's <c>matchExpressions</c> (Kubernetes' spellings).</summary>
public enum SelectorOperator
{
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

public sealed record SelectorRequirement(string Key, SelectorOperator Operator, ImmutableArray<string> Values);

/// <summary>A label selector: every matchLabels pair and every expression must hold; an empty one selects everything.</summary>
public sealed record LabelSelector
{
    public static readonly LabelSelector Everything = new();

    public ImmutableSortedDictionary<string, string> MatchLabels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableArray<SelectorRequirement> MatchExpressions { get; init; } = [];

    public bool IsEmpty => MatchLabels.IsEmpty && MatchExpressions.IsEmpty;

    public bool Matches(IReadOnlyDictionary<string, string> labels) =>
        MatchLabels.All(l => labels.TryGetValue(l.Key, out var v) && v == l.Value)
        && MatchExpressions.All(e => e.Operator switch
        {
            SelectorOperator.In => labels.TryGetValue(e.Key, out var v) && e.Values.Contains(v),
            SelectorOperator.NotIn => !labels.TryGetValue(e.Key, out var v) || !e.Values.Contains(v),
            SelectorOperator.Exists => labels.ContainsKey(e.Key),
            _ => !labels.ContainsKey(e.Key),
        });

    public override string ToString() => IsEmpty ? "{}" : string.Join(",",
        MatchLabels.Select(l => $"{l.Key}={l.Value}").Concat(MatchExpressions.Select(e => e.Operator switch
        {
            SelectorOperator.Exists => e.Key,
            SelectorOperator.DoesNotExist => "!" + e.Key,
            SelectorOperator.In => $"{e.Key} in ({string.Join(",", e.Values)})",
            _ => $"{e.Key} notin ({string.Join(",", e.Values)})",
        })));
}

public sealed record IpBlockSpec(string Cidr, ImmutableArray<string> Except);

/// <summary>
/// One entry of <c>from</c>/<c>to</c>: a pod selector (the policy's namespace), a namespace selector (all its pods),
/// both (those pods in those namespaces), or an ipBlock.
/// </summary>
public sealed record PolicyPeerSpec
{
    public LabelSelector? PodSelector { get; init; }
    public LabelSelector? NamespaceSelector { get; init; }
    public IpBlockSpec? IpBlock { get; init; }

    public override string ToString() => IpBlock is { } b
        ? $"ipBlock {b.Cidr}" + (b.Except.IsEmpty ? "" : $" except {string.Join(",", b.Except)}")
        : string.Join(" ", new[] { NamespaceSelector is { } n ? $"namespaces {n}" : null, PodSelector is { } p ? $"pods {p}" : null }.Where(s => s is not null));
}

/// <summary>A port of a rule: a number (with an optional <see cref="EndPort"/> range) or a container port's name; null = all.</summary>
public sealed record PolicyPortSpec
{
    public TransportProtocol Protocol { get; init; } = TransportProtocol.TCP;
    public string? Port { get; init; }
    public int? EndPort { get; init; }

    public int? Number => int.TryParse(Port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;

    public override string ToString() => (Port is null ? "all" : EndPort is { } end ? $"{Port}-{end}" : Port) + "/" + Protocol;
}

/// <summary>An ingress or egress rule: who (<see cref="Peers"/>, empty = everyone) on which ports (empty = all).</summary>
public sealed record PolicyRuleSpec
{
    public ImmutableArray<PolicyPeerSpec> Peers { get; init; } = [];
    public ImmutableArray<PolicyPortSpec> Ports { get; init; } = [];
}

/// <summary>A <c>networking.k8s.io/v1</c> NetworkPolicy.</summary>
public sealed record NetworkPolicySpec
{
    public required string Name { get; init; }
    public string Namespace { get; init; } = "default";
    public LabelSelector PodSelector { get; init; } = LabelSelector.Everything;

    /// <summary>As written; null takes v1's default (see <see cref="EffectiveTypes"/>).</summary>
    public ImmutableArray<PolicyType>? PolicyTypes { get; init; }

    public ImmutableArray<PolicyRuleSpec> Ingress { get; init; } = [];
    public ImmutableArray<PolicyRuleSpec> Egress { get; init; } = [];

    /// <summary>v1's defaulting: Ingress always, Egress when the policy has egress rules.</summary>
    public ImmutableArray<PolicyType> EffectiveTypes => PolicyTypes ?? (Egress.IsEmpty ? [PolicyType.Ingress] : [PolicyType.Ingress, PolicyType.Egress]);

    public bool Isolates(PolicyType type) => EffectiveTypes.Contains(type);

    public ImmutableArray<PolicyRuleSpec> Rules(PolicyType type) => type == PolicyType.Ingress ? Ingress : Egress;

    public string Id => $"{Namespace}/{Name}";
}
