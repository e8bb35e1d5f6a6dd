using Provisioner.ServiceRules.Iptables;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Nftables;
using Provisioner.ServiceRules.Validation;

namespace Provisioner.ServiceRules.Applying;

/// <summary>The validated, compiled desired state for one backend (null rulesets: netlab's rules removed).</summary>
internal sealed record DesiredRules(RuleBackend Backend, IptablesRuleset? Iptables, NftRuleset? Nft, IReadOnlyList<string> DnsOnly)
{
    public static DesiredRules Nothing(RuleBackend backend) =>
        new(backend, backend == RuleBackend.Nftables ? null : IptablesRuleset.Empty, null, []);

    public static DesiredRules Of(RuleBackend backend, ServiceTable table, NodeContext node)
    {
        ServiceTableValidator.ThrowIfInvalid(table, node);
        var dnsOnly = table.Services.Where(s => s.IsDnsOnly).Select(s => s.Key).ToList();
        if (backend == RuleBackend.Nftables)
            return new(backend, null, NftCompiler.Compile(table, node), dnsOnly);
        var ruleset = IptablesCompiler.Compile(table, node);
        ThrowIfInconsistent(ChainGraphValidator.Check(ruleset));
        return new(backend, ruleset, null, dnsOnly);
    }

    /// <summary>A chain graph problem is a netlab bug: said as one, and nothing is applied.</summary>
    public static void ThrowIfInconsistent(IReadOnlyList<string> graphProblems)
    {
        if (graphProblems.Count > 0)
            throw new InvalidOperationException("netlab compiled an inconsistent chain graph (a netlab bug); nothing was applied:"
                + Environment.NewLine + string.Join(Environment.NewLine, graphProblems));
    }

    /// <summary>The plan that takes the kernel from <paramref name="known"/> to this state.</summary>
    public RulePlan PlanFrom(KnownRules known, string? netns)
    {
        if (Backend == RuleBackend.Nftables)
        {
            var kernel = known.Nft ?? NftKernelState.Missing;
            if (Nft is null)
                return kernel.Exists
                    ? new RulePlan(Backend, netns, [new(RuleChangeKind.Remove, "table ip netlab")], "delete table ip netlab\n", true)
                    : new RulePlan(Backend, netns, [], "", false);
            var (changes, script, full) = NftPlanner.Plan(Nft, kernel, known.Canonical);
            return new RulePlan(Backend, netns, changes, script, full) { FirstLoad = full && !kernel.Exists ? Nft : null };
        }
        var state = known.Iptables ?? IptablesKernelState.Empty;
        var (ipChanges, payload) = IptablesPlanner.PlanDeferred(Iptables ?? IptablesRuleset.Empty, state, singleTransaction: Backend == RuleBackend.IptablesLegacy);
        var first = state.Chains.Count == 0 && ipChanges.Count > 0;
        return new RulePlan(Backend, netns, ipChanges, payload, first)
            { IptablesFirstLoad = first && Iptables is { Chains.Count: > 0 } ? Iptables : null };
    }

    /// <summary>What the kernel holds once this state is applied.</summary>
    public KnownRules AfterApply() => Backend == RuleBackend.Nftables
        ? new(null, Nft is null ? NftKernelState.Missing
            : new NftKernelState(true, Nft.SkeletonHash, Nft.Sets.ToDictionary(s => s.Name, s => s.Elements, StringComparer.Ordinal)), null)
        : new(new IptablesKernelState(
            (Iptables ?? IptablesRuleset.Empty).Chains.ToDictionary(c => c.Key, c => c.Rules, StringComparer.Ordinal),
            (Iptables ?? IptablesRuleset.Empty).Jumps), null, null);
}
