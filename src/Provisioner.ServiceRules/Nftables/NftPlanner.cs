using System.Text;
using Provisioner.ServiceRules.Applying;

namespace Provisioner.ServiceRules.Nftables;

/// <summary>
/// Diffs the desired netlab table against the kernel's: a missing table, a different skeleton hash, or a skeleton that
/// differs from <c>canonical</c> (the desired skeleton as this nft lists it: a chain, rule or set changed by hand) means
/// one full-sync script that replaces the table atomically, its changes naming each difference; otherwise only the
/// elements that differ are deleted and added, in one nft -f transaction.
/// </summary>
public static class NftPlanner
{
    private const string Table = $"{NftRuleset.Family} {NftRuleset.TableName}";

    public static (IReadOnlyList<RuleChange> Changes, string Script, bool FullSync) Plan(NftRuleset desired, NftKernelState kernel,
        NftSkeleton? canonical = null)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(kernel);
        var changes = new List<RuleChange>();
        var drift = kernel.Exists && kernel.SkeletonHash == desired.SkeletonHash && kernel.Skeleton is { } listed && canonical is not null
            ? SkeletonDrift(canonical, listed).ToList()
            : [];
        if (!kernel.Exists || kernel.SkeletonHash != desired.SkeletonHash || drift.Count > 0)
        {
            changes.Add(new(kernel.Exists ? RuleChangeKind.Remove : RuleChangeKind.Add,
                kernel.Exists ? $"table {Table} (skeleton {kernel.SkeletonHash ?? "unknown"}{(drift.Count > 0 ? ", changed by hand" : "")}; replaced)" : $"table {Table}"));
            changes.AddRange(drift);
            if (kernel.Exists)
                changes.Add(new(RuleChangeKind.Add, $"table {Table} (skeleton {desired.SkeletonHash})"));
            foreach (var set in desired.Sets)
                changes.AddRange(ElementChanges(set.Name, kernel.Elements.GetValueOrDefault(set.Name) ?? [], set.Elements));
            return (changes, desired.ToScript(), true);
        }
        var diffs = new List<(string, IReadOnlyList<NftElement>, IReadOnlyList<NftElement>)>();
        foreach (var set in desired.Sets.Where(s => !IsDynamic(s)))
        {
            var current = kernel.Elements.GetValueOrDefault(set.Name) ?? [];
            var currentIds = current.Select(e => e.Identity).ToHashSet(StringComparer.Ordinal);
            var desiredIds = set.Elements.Select(e => e.Identity).ToHashSet(StringComparer.Ordinal);
            diffs.Add((set.Name, [.. current.Where(e => !desiredIds.Contains(e.Identity))], [.. set.Elements.Where(e => !currentIds.Contains(e.Identity))]));
        }
        var (elementChanges, script) = ElementChanges(diffs);
        return (elementChanges, script, false);
    }

    /// <summary>Sets the kernel fills itself (the affinity map): never diffed.</summary>
    public static bool IsDynamic(NftSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        return set.Declaration.Contains("flags dynamic", StringComparison.Ordinal);
    }

    /// <summary>The changes and the one nft -f script for each set's removed and added elements (in set order): every
    /// deletion before any addition, and the affinity map flushed when an endpoint moved (an affine client may point at
    /// an endpoint that left).</summary>
    public static (IReadOnlyList<RuleChange> Changes, string Script) ElementChanges(
        IEnumerable<(string Set, IReadOnlyList<NftElement> Removed, IReadOnlyList<NftElement> Added)> diffs)
    {
        ArgumentNullException.ThrowIfNull(diffs);
        var changes = new List<RuleChange>();
        var script = new StringBuilder();
        var adds = new StringBuilder();
        foreach (var (set, removed, added) in diffs)
        {
            if (removed.Count > 0)
                script.Append($"delete element {Table} {set} {{ ").AppendJoin(", ", removed.Select(e => e.Key)).Append(" }\n");
            if (added.Count > 0)
                adds.Append($"add element {Table} {set} {{ ").AppendJoin(", ", added.Select(e => e.Text)).Append(" }\n");
            changes.AddRange(removed.Select(e => new RuleChange(RuleChangeKind.Remove, $"{set}: {e.Text}")));
            changes.AddRange(added.Select(e => new RuleChange(RuleChangeKind.Add, $"{set}: {e.Text}")));
        }
        if (changes.Any(c => c.Text.StartsWith("service-endpoints", StringComparison.Ordinal) || c.Text.StartsWith("nodeport-endpoints", StringComparison.Ordinal)))
            script.Append($"flush map {Table} affinity\n"); // affinity may point at an endpoint that moved or left
        return (changes, script.Append(adds).ToString());
    }

    /// <summary>Every chain, rule and set declaration where the kernel's skeleton differs from the desired one.</summary>
    public static IEnumerable<RuleChange> SkeletonDrift(NftSkeleton canonical, NftSkeleton kernel)
    {
        ArgumentNullException.ThrowIfNull(canonical);
        ArgumentNullException.ThrowIfNull(kernel);
        foreach (var change in Differences("chain", canonical.Chains, kernel.Chains))
            yield return change;
        foreach (var change in Differences("set", canonical.Sets, kernel.Sets))
            yield return change;
    }

    private static IEnumerable<RuleChange> Differences(string kind, IReadOnlyDictionary<string, IReadOnlyList<string>> wanted,
        IReadOnlyDictionary<string, IReadOnlyList<string>> held)
    {
        foreach (var (name, lines) in wanted)
        {
            if (!held.TryGetValue(name, out var kernelLines))
            {
                yield return new(RuleChangeKind.Add, $"{kind} {name} (missing)");
                continue;
            }
            if (kernelLines.SequenceEqual(lines, StringComparer.Ordinal))
                continue;
            foreach (var line in kernelLines.Except(lines, StringComparer.Ordinal))
                yield return new(RuleChangeKind.Remove, $"{kind} {name}: {line} (not netlab's)");
            foreach (var line in lines.Except(kernelLines, StringComparer.Ordinal))
                yield return new(RuleChangeKind.Add, $"{kind} {name}: {line} (missing)");
            if (kernelLines.ToHashSet(StringComparer.Ordinal).SetEquals(lines))
                yield return new(RuleChangeKind.Add, $"{kind} {name} (reordered)");
        }
        foreach (var name in held.Keys.Where(n => !wanted.ContainsKey(n)))
            yield return new(RuleChangeKind.Remove, $"{kind} {name} (not netlab's)");
    }

    private static IEnumerable<RuleChange> ElementChanges(string set, IReadOnlyList<NftElement> current, IReadOnlyList<NftElement> desired)
    {
        if (current.Count == 0 || desired.Count == 0) // a first sync: every element is added, no identities to compare
            return current.Count == 0 ? All(RuleChangeKind.Add, set, desired) : All(RuleChangeKind.Remove, set, current);
        return Differing(set, current, desired);
    }

    private static IEnumerable<RuleChange> All(RuleChangeKind kind, string set, IReadOnlyList<NftElement> elements) =>
        elements.Select(e => new RuleChange(kind, string.Concat(set, ": ", e.Text)));

    private static IEnumerable<RuleChange> Differing(string set, IReadOnlyList<NftElement> current, IReadOnlyList<NftElement> desired)
    {
        var desiredIds = desired.Select(e => e.Identity).ToHashSet(StringComparer.Ordinal);
        var currentIds = current.Select(e => e.Identity).ToHashSet(StringComparer.Ordinal);
        foreach (var e in current.Where(e => !desiredIds.Contains(e.Identity)))
            yield return new(RuleChangeKind.Remove, $"{set}: {e.Text}");
        foreach (var e in desired.Where(e => !currentIds.Contains(e.Identity)))
            yield return new(RuleChangeKind.Add, $"{set}: {e.Text}");
    }
}
