using System.Diagnostics;
using Provisioner.Host.Processes;
using Provisioner.ServiceRules.Iptables;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Nftables;
using Provisioner.ServiceRules.Validation;

namespace Provisioner.ServiceRules.Applying;

/// <summary>
/// Converges a node's (or a network namespace's) service rules to a service table. Validates first, diffs against what
/// the kernel holds (so a second process sees the same "no changes", and every hand-made change is seen), and applies the
/// difference (one iptables-restore --noflush of ordered transactions, or one nft -f). Touches only NETLAB- chains, the
/// jumps into them, and the <c>ip netlab</c> table. Stateless: every call reads the kernel. A long-lived caller (a proxy's
/// sync loop, <c>netlab up</c>) uses <see cref="ServiceRulesEngine"/>, which keeps the last-applied state.
/// </summary>
public sealed class ServiceRulesApplier
{
    private readonly RuleCommands _commands;

    public ServiceRulesApplier(RuleBackend backend, string? netns = null, ProcessRunner? runner = null, TimeSpan? timeout = null)
    {
        Backend = backend;
        Netns = netns;
        _commands = new RuleCommands(backend, netns, runner ?? ProcessRunner.Default, timeout ?? TimeSpan.FromSeconds(60));
    }

    public RuleBackend Backend { get; }

    public string? Netns { get; }

    /// <summary>What <see cref="ApplyAsync"/> would change, without changing anything. Throws
    /// <see cref="InvalidServiceTableException"/> listing every problem of a bad table.</summary>
    public async Task<RulePlan> PlanAsync(ServiceTable table, NodeContext node, CancellationToken cancellationToken = default) =>
        (await PlanTimedAsync(DesiredRules.Of(Backend, table, node), cancellationToken).ConfigureAwait(false)).Plan;

    /// <summary>Plans, then runs the plan's one transaction if it has changes. A refused table leaves the kernel untouched.</summary>
    public async Task<ApplyResult> ApplyAsync(ServiceTable table, NodeContext node, CancellationToken cancellationToken = default)
    {
        var desired = DesiredRules.Of(Backend, table, node);
        var (plan, readTime) = await PlanTimedAsync(desired, cancellationToken).ConfigureAwait(false);
        var (applyTime, writer) = await RunAsync(plan, cancellationToken).ConfigureAwait(false);
        return new ApplyResult(plan, plan.HasChanges, readTime, applyTime, desired.DnsOnly) { Writer = writer };
    }

    /// <summary>What <see cref="RemoveAsync"/> would delete.</summary>
    public async Task<RulePlan> PlanRemoveAsync(CancellationToken cancellationToken = default) =>
        (await PlanTimedAsync(DesiredRules.Nothing(Backend), cancellationToken).ConfigureAwait(false)).Plan;

    /// <summary>Deletes every NETLAB chain, the jumps into them and the netlab table; nothing else.</summary>
    public async Task<ApplyResult> RemoveAsync(CancellationToken cancellationToken = default)
    {
        var (plan, readTime) = await PlanTimedAsync(DesiredRules.Nothing(Backend), cancellationToken).ConfigureAwait(false);
        var (applyTime, writer) = await RunAsync(plan, cancellationToken).ConfigureAwait(false);
        return new ApplyResult(plan, plan.HasChanges, readTime, applyTime, []) { Writer = writer };
    }

    /// <summary>Asks the kernel tools to check a plan's script without committing it (iptables-restore --test, nft -c).</summary>
    public async Task CheckAsync(RulePlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!plan.HasChanges)
            return;
        if (Backend == RuleBackend.Nftables)
            await _commands.RunNftAsync(plan.Script, checkOnly: true, cancellationToken).ConfigureAwait(false);
        else
            await _commands.RestoreIptablesAsync(IptablesPlanner.AsSingleTransactions(plan.Script), testOnly: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>netlab's rules as the kernel lists them: the NETLAB lines of iptables-save, or nft list table ip netlab.</summary>
    public async Task<string> ReadKernelRulesAsync(CancellationToken cancellationToken = default)
    {
        if (Backend == RuleBackend.Nftables)
        {
            var listing = await _commands.ListNftTableAsync(cancellationToken).ConfigureAwait(false);
            return listing.Succeeded ? listing.StandardOutput : "";
        }
        var save = (await _commands.SaveIptablesAsync(cancellationToken).ConfigureAwait(false)).StandardOutput;
        return string.Join('\n', save.Split('\n').Where(l => l.StartsWith('*') || l.Contains(Naming.ChainNames.Prefix, StringComparison.Ordinal))) + "\n";
    }

    private async Task<(RulePlan Plan, TimeSpan ReadTime)> PlanTimedAsync(DesiredRules desired, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var (known, _) = await KnownRules.ReadAsync(_commands, desired, ct).ConfigureAwait(false);
        var read = clock.Elapsed;
        return (desired.PlanFrom(known, Netns), read);
    }

    private async Task<(TimeSpan, string?)> RunAsync(RulePlan plan, CancellationToken ct)
    {
        if (!plan.HasChanges)
            return (TimeSpan.Zero, null);
        var firstLoad = Backend == RuleBackend.Nftables && plan.FirstLoad is { } table ? new NftFirstLoad(table) : null;
        var clock = Stopwatch.StartNew();
        var direct = Backend == RuleBackend.Iptables && plan.IptablesFirstLoad is { } ruleset ? IptablesDirectLoad.TryCreate(ruleset, _commands.NetnsPath) : null;
        if (Backend == RuleBackend.Nftables)
        {
            await _commands.RunNftPlanAsync(plan, firstLoad, ct).ConfigureAwait(false);
            return (clock.Elapsed, "nft");
        }
        var writer = direct is not null ? direct.Run(_commands.NetnsPath) : await _commands.RestoreIptablesPlanAsync(plan, ct).ConfigureAwait(false);
        return (clock.Elapsed, writer);
    }
}
