using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;

namespace Provisioner.Proxy.Rules;

/// <summary>
/// Where a sync's table goes: the seam between the proxy loop and the rules engine. Today one implementation wraps
/// <see cref="ServiceRulesApplier"/> (diff against the kernel, one transaction); the long-lived engine with
/// last-applied state in memory plugs in here without the loop changing.
/// </summary>
public interface IRuleSink
{
    /// <summary>Converges the node's rules to <paramref name="table"/>. <paramref name="full"/> asks for a full
    /// resync (repairing drift); otherwise the sink may rewrite only what changed since its last sync.</summary>
    Task<RuleSyncResult> SyncAsync(ServiceTable table, NodeContext node, bool full, CancellationToken ct);

    /// <summary>Deletes every rule the sink made (on <c>--cleanup</c>).</summary>
    Task<RuleSyncResult> RemoveAsync(CancellationToken ct);
}

/// <summary>What a sync changed: rules (or map elements) added and removed, and whether a transaction ran.</summary>
public sealed record RuleSyncResult(bool Applied, int Added, int Removed, string Summary);

/// <summary>The sink over today's <see cref="ServiceRulesApplier"/>: every sync reads the kernel and applies the difference.</summary>
public sealed class ApplierRuleSink(ServiceRulesApplier applier) : IRuleSink
{
    public async Task<RuleSyncResult> SyncAsync(ServiceTable table, NodeContext node, bool full, CancellationToken ct) =>
        Of(await applier.ApplyAsync(table, node, ct).ConfigureAwait(false));

    public async Task<RuleSyncResult> RemoveAsync(CancellationToken ct) => Of(await applier.RemoveAsync(ct).ConfigureAwait(false));

    private static RuleSyncResult Of(ApplyResult result) => new(result.Applied, result.Plan.Added, result.Plan.Removed, result.Plan.Summary);
}
