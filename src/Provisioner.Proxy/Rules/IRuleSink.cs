using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;

namespace Provisioner.Proxy.Rules;

/// <summary>
/// Where a sync's table goes: the seam between the proxy loop and the rules engine. Its implementation is
/// <see cref="EngineRuleSink"/>; tests may stand in for it.
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

/// <summary>
/// The sink over <see cref="ServiceRulesEngine"/>: last-applied state in memory, so a partial sync compiles and writes
/// only what changed, trusting that state while the kernel (the nf_tables generation) proves nobody else wrote; a full
/// sync reads the kernel and repairs drift.
/// </summary>
public sealed class EngineRuleSink(ServiceRulesEngine engine) : IRuleSink
{
    public async Task<RuleSyncResult> SyncAsync(ServiceTable table, NodeContext node, bool full, CancellationToken ct)
    {
        if (full)
            engine.RequestFullSync();
        return Of(await engine.SyncAsync(table, node, ct).ConfigureAwait(false));
    }

    public async Task<RuleSyncResult> RemoveAsync(CancellationToken ct) => Of(await engine.RemoveAsync(ct).ConfigureAwait(false));

    private static RuleSyncResult Of(SyncResult result) => new(result.Applied, result.Plan.Added, result.Plan.Removed, result.ToString());
}
