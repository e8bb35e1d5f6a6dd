using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Iptables;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Nftables;
using Provisioner.ServiceRules.Validation;

namespace Provisioner.ServiceRules.Incremental;

/// <summary>
/// A new table as the services it changes against a <see cref="CompiledTable"/>: validated, compiled and planned from
/// those services alone (<see cref="PlanPartial"/>), or assembled whole (<see cref="Assemble"/>) when it must be
/// diffed against a kernel read. <see cref="Commit"/> makes it the compiled table once the kernel holds it.
/// </summary>
internal sealed class TableDelta(CompiledTable compiled, ServiceTable table, Dictionary<string, CompiledService?> changes,
    IReadOnlyList<CompiledService> retargets, bool duplicate, string fingerprint, UInt128 sum, bool validated = false)
{
    /// <summary>Beyond this many changed services, one validation of the whole table is cheaper than one per service.</summary>
    private const int ValidateWholeBeyond = 256;

    private bool _validated = validated;
    private DesiredRules? _assembled;

    public CompiledTable Base => compiled;

    public string Fingerprint { get; } = fingerprint;

    public int Changed => changes.Count;

    /// <summary>The services this delta adds or changes (their new compiled form) or removes (null), by key.</summary>
    public IReadOnlyDictionary<string, CompiledService?> Changes => changes;

    public IReadOnlyList<string> DnsOnly { get; } = [.. table.Services.Where(s => s.IsDnsOnly).Select(s => s.Key)];

    private NodeContext Node => compiled.Node;

    /// <summary>Throws <see cref="InvalidServiceTableException"/> (every problem of the whole table) for a bad table.
    /// Only the changed services are checked, and their claims against the others'; any doubt checks the whole table.</summary>
    public void Validate()
    {
        if (_validated)
            return;
        if (duplicate || compiled.Services.Count == 0 || changes.Count > ValidateWholeBeyond)
            ServiceTableValidator.ThrowIfInvalid(table, Node);
        else
        {
            var frontends = new Dictionary<string, string>(StringComparer.Ordinal);
            var nodePorts = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, next) in changes)
            {
                if (next is not null && (ServiceTableValidator.Validate(new ServiceTable([next.Service!]), Node).Count > 0
                        || !Claimable(key, next.Claims.Frontends, compiled.Frontends, frontends)
                        || !Claimable(key, next.Claims.NodePorts, compiled.NodePorts, nodePorts)))
                {
                    ServiceTableValidator.ThrowIfInvalid(table, Node);
                    break;
                }
            }
        }
        _validated = true;
    }

    private bool Claimable(string key, IReadOnlyList<string> claims, Dictionary<string, string> held, Dictionary<string, string> claimed)
    {
        foreach (var claim in claims)
        {
            if (held.TryGetValue(claim, out var owner) && owner != key && !changes.ContainsKey(owner))
                return false;
            if (!claimed.TryAdd(claim, key) && claimed[claim] != key)
                return false;
        }
        return true;
    }

    /// <summary>The whole desired state, if <see cref="Assemble"/> has built it (a full sync did): once committed it is
    /// the compiled table's rules, so the engine remembers it instead of assembling 10k services again.</summary>
    public DesiredRules? Assembled => _assembled;

    /// <summary>The whole desired state after this delta (the changed services compiled, the others reused).</summary>
    public DesiredRules Assemble()
    {
        if (_assembled is not null)
            return _assembled;
        Validate();
        var services = compiled.Services.Where(s => !changes.ContainsKey(s.Key)).Select(s => s.Value)
            .Concat(changes.Values.OfType<CompiledService>())
            .OrderBy(s => s.Key, StringComparer.Ordinal).ToList();
        if (compiled.Backend == RuleBackend.Nftables)
            return _assembled = new DesiredRules(compiled.Backend, null, NftCompiler.Assemble([.. services.Select(s => s.Nft(Node))], Node), DnsOnly);
        var ruleset = IptablesCompiler.Assemble([.. services.Select(s => s.Iptables(Node))], Node);
        DesiredRules.ThrowIfInconsistent(ChainGraphValidator.Check(ruleset));
        return _assembled = new DesiredRules(compiled.Backend, ruleset, null, DnsOnly);
    }

    /// <summary>
    /// The plan from the compiled table's rules (what the kernel holds after a partial sync) to this delta's, computed
    /// from the changed services alone: the same changes and script a diff of the two whole rulesets gives. Null when
    /// that diff is not local to them (the nftables skeleton changes; an iptables dispatch chain holds a rule twice, so
    /// it is rewritten whole; a chain changes owner): the caller then diffs the assembled rules.
    /// </summary>
    public RulePlan? PlanPartial(string? netns)
    {
        Validate();
        var keys = changes.Keys.Order(StringComparer.Ordinal).ToList();
        var before = keys.Select(k => compiled.Services.GetValueOrDefault(k)).ToList();
        var after = keys.Select(k => changes[k]).ToList();
        return compiled.Backend == RuleBackend.Nftables ? PlanNft(before, after, netns) : PlanIptables(keys, before, after, netns);
    }

    private RulePlan? PlanNft(List<CompiledService?> before, List<CompiledService?> after, string? netns)
    {
        var oldFragments = before.Select(s => s?.Nft(Node)).ToList();
        var newFragments = after.Select(s => s?.Nft(Node)).ToList();
        var maxEndpoints = Tallied(compiled.MaxEndpoints, oldFragments.Select(f => f is null ? [] : new[] { f.MaxEndpoints }),
            newFragments.Select(f => f is null ? [] : new[] { f.MaxEndpoints }));
        var timeouts = Tallied(compiled.AffinityTimeouts, oldFragments.Select(f => f?.AffinityTimeouts ?? []), newFragments.Select(f => f?.AffinityTimeouts ?? []));
        var skeleton = NftCompiler.Skeleton(Node, maxEndpoints.LastOrDefault(), timeouts);
        var current = NftCompiler.Skeleton(Node, compiled.MaxEndpoints.Keys.LastOrDefault(), compiled.AffinityTimeouts.Keys);
        if (skeleton.SkeletonHash != current.SkeletonHash)
            return null;
        var diffs = skeleton.Sets.Where(s => !NftPlanner.IsDynamic(s)).Select(set =>
        {
            var (removed, added) = (compiled.Lists.GetValueOrDefault(set.Name) ?? new PartCounts()).Diff(
                oldFragments.Select(f => f?.Elements.GetValueOrDefault(set.Name)), newFragments.Select(f => f?.Elements.GetValueOrDefault(set.Name)),
                e => e.Identity, NftCompiler.IsShared(set.Name));
            return (set.Name, (IReadOnlyList<NftElement>)removed, (IReadOnlyList<NftElement>)added);
        }).ToList();
        var (changesList, script) = NftPlanner.ElementChanges(diffs);
        return new RulePlan(RuleBackend.Nftables, netns, changesList, script, false);
    }

    private RulePlan? PlanIptables(List<string> keys, List<CompiledService?> before, List<CompiledService?> after, string? netns)
    {
        if (IptablesCompiler.DispatchChains.Any(k => compiled.Lists.GetValueOrDefault(k)?.Repeated > 0))
            return null;
        var oldFragments = before.Select(s => s?.Iptables(Node)).ToList();
        var newFragments = after.Select(s => s?.Iptables(Node)).ToList();
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < keys.Count; i++)
        {
            foreach (var chain in newFragments[i]?.Chains ?? [])
            {
                if ((compiled.ChainOwners.TryGetValue(chain.Key, out var owner) && owner != keys[i]) || !owners.TryAdd(chain.Key, keys[i]))
                    return null;
            }
            if (newFragments[i] is { } fragment)
                DesiredRules.ThrowIfInconsistent(ChainGraphValidator.Check(IptablesCompiler.Assemble([fragment], Node)));
        }
        var dispatch = IptablesCompiler.DispatchChains.ToDictionary(k => k, k =>
        {
            var (removed, added) = (compiled.Lists.GetValueOrDefault(k) ?? new PartCounts()).Diff(
                oldFragments.Select(f => f?.Dispatch.GetValueOrDefault(k)), newFragments.Select(f => f?.Dispatch.GetValueOrDefault(k)), r => r, distinct: false);
            return ((IReadOnlyList<string>)removed, (IReadOnlyList<string>)added);
        }, StringComparer.Ordinal);
        var chains = new List<(IptablesChain, IReadOnlyList<string>?)>();
        var deleted = new List<IptablesChain>();
        for (var i = 0; i < keys.Count; i++)
        {
            var old = (oldFragments[i]?.Chains ?? []).ToDictionary(c => c.Key, StringComparer.Ordinal);
            chains.AddRange((newFragments[i]?.Chains ?? []).Select(c => (c, old.GetValueOrDefault(c.Key)?.Rules)));
            deleted.AddRange(old.Values.Where(c => !owners.ContainsKey(c.Key)));
        }
        var (planned, payload) = IptablesPlanner.PlanDelta(dispatch, chains, deleted, singleTransaction: compiled.Backend == RuleBackend.IptablesLegacy);
        return new RulePlan(compiled.Backend, netns, planned, payload, false);
    }

    /// <summary>The values of a tally after the changed services' values leave and join it, in ascending order.</summary>
    private static List<int> Tallied(SortedDictionary<int, int> tally, IEnumerable<IEnumerable<int>> leaving, IEnumerable<IEnumerable<int>> joining)
    {
        var counts = new Dictionary<int, int>(tally);
        foreach (var value in leaving.SelectMany(v => v))
            counts[value] = counts.GetValueOrDefault(value) - 1;
        foreach (var value in joining.SelectMany(v => v))
            counts[value] = counts.GetValueOrDefault(value) + 1;
        return [.. counts.Where(c => c.Value > 0).Select(c => c.Key).Order()];
    }

    /// <summary>Makes this table the compiled one (after the kernel took it, or found nothing to change).</summary>
    public void Commit()
    {
        Validate();
        compiled.Apply(changes, retargets, sum);
    }
}
