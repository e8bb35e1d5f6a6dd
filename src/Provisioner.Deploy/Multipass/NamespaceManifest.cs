using System.Collections.Immutable;
using k8s.Models;
using Provisioner.Core.Model;

namespace Provisioner.Deploy.Multipass;

/// <summary>A Namespace of the workloads manifest with the line its trigger shows in a preview.</summary>
/// <param name="Owned">netlab creates it, labels it as the lab's, and deletes it when the stack no longer names it.</param>
public sealed record WorkloadNamespace(string Name, bool Owned, string Line, V1Namespace Object)
{
    public string Key => NamespaceManifest.Key(Name);
}

/// <summary>
/// The namespaces the stack's pods, services and policies live in, as Namespace objects applied before the objects in
/// them. Every namespace the stack names that Kubernetes does not create itself is the lab's: it carries
/// <see cref="WorkloadLabels"/> (without a spec hash: a changed label must never recreate it with everything inside),
/// so pruning and <c>pulumi destroy</c> find it. A built-in namespace (<c>default</c>, <c>kube-system</c>, ...) is in the
/// manifest only when the stack gives it labels, and then only with those: it is never the lab's, never deleted.
/// <c>kubernetes.io/metadata.name</c> is the API server's to set.
/// </summary>
public static class NamespaceManifest
{
    public static readonly ImmutableArray<string> BuiltIn = ["default", "kube-system", "kube-public", "kube-node-lease"];

    public static bool IsBuiltIn(string ns) => BuiltIn.Contains(ns, StringComparer.Ordinal);

    public static string Key(string ns) => $"namespace.{ns}";

    /// <summary>The namespaces in name order.</summary>
    public static ImmutableArray<WorkloadNamespace> For(LabConfig lab)
    {
        ArgumentNullException.ThrowIfNull(lab);
        var declared = lab.Namespaces.ToDictionary(n => n.Name, StringComparer.Ordinal);
        var names = lab.Pods.Select(p => p.Namespace).Concat(lab.Services.Select(s => s.Namespace))
            .Concat(lab.NetworkPolicies.Select(p => p.Namespace)).Concat(declared.Keys)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        return [.. names.Select(n => Of(lab, n, declared.GetValueOrDefault(n)?.Labels ?? ImmutableSortedDictionary<string, string>.Empty))
            .OfType<WorkloadNamespace>()];
    }

    /// <summary>The selector of the lab's namespaces that are not in <paramref name="namespaces"/> (all of them when none is).</summary>
    public static string StaleSelector(string lab, IEnumerable<WorkloadNamespace> namespaces)
    {
        var kept = namespaces.Where(n => n.Owned).Select(n => n.Name).ToList();
        var selector = WorkloadLabels.Selector(lab);
        return kept.Count == 0 ? selector : $"{selector},{NamespaceSpec.NameLabel} notin ({string.Join(",", kept)})";
    }

    private static WorkloadNamespace? Of(LabConfig lab, string name, ImmutableSortedDictionary<string, string> stackLabels)
    {
        var owned = !IsBuiltIn(name);
        if (!owned && stackLabels.IsEmpty)
            return null; // exists on every cluster and has nothing to add
        // a built-in namespace must never match the lab's prune or delete selector
        var applied = owned ? stackLabels.Remove(NamespaceSpec.NameLabel) : stackLabels.Remove(NamespaceSpec.NameLabel).Remove(WorkloadLabels.Lab);
        var labels = applied.ToDictionary(StringComparer.Ordinal);
        if (owned)
        {
            labels[WorkloadLabels.ManagedBy] = WorkloadLabels.ManagedByValue;
            labels[WorkloadLabels.Lab] = lab.Name;
        }
        var shown = applied.IsEmpty ? "no labels" : "labels " + string.Join(",", applied.Select(l => $"{l.Key}={l.Value}"));
        var line = $"namespace {name} ({(owned ? "the lab's" : "built-in: labels only")}), {shown}";
        return new WorkloadNamespace(name, owned, line, new V1Namespace
        {
            ApiVersion = "v1", Kind = "Namespace",
            Metadata = new V1ObjectMeta { Name = name, Labels = labels.Count == 0 ? null : labels },
        });
    }
}
