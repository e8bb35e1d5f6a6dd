using System.Collections.Immutable;
using Provisioner.Fabric.Convergence.Items;
using Provisioner.Fabric.Model;
using Provisioner.Host.Processes;

namespace Provisioner.Fabric.Convergence;

/// <summary>
/// Brings a node to its desired fabric: observes what the kernel and OVS have, computes the difference, and applies only
/// that (removals first, newest first; then additions in creation order). Applying twice changes nothing.
/// </summary>
public sealed class FabricConverger(ProcessRunner? runner = null)
{
    private readonly ProcessRunner _runner = runner ?? ProcessRunner.Default;

    /// <summary>Bound on each command.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>After adding tunnels or routes, ping each new peer's underlay address once (an unreachable node fails the apply).</summary>
    public bool CheckUnderlay { get; init; } = true;

    /// <summary>How long a new peer may stay silent on the underlay before the apply fails (peers converge in parallel).</summary>
    public TimeSpan UnderlayWait { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The changes <see cref="ApplyAsync"/> would make, without making them (drift shows up here).</summary>
    public async Task<FabricChanges> PlanAsync(NodeFabric desired, FabricTarget target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(desired);
        var shell = Shell(target);
        var observed = await ObserveAsync(desired, shell, cancellationToken).ConfigureAwait(false);
        return new FabricChanges(desired.Node, [.. Diff(FabricItems.For(desired), observed).Select(d => Describe(d, target))]);
    }

    /// <summary>Converges the node and returns the changes made with the commands run (none when it was converged).</summary>
    public async Task<FabricChanges> ApplyAsync(NodeFabric desired, FabricTarget target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(desired);
        var shell = Shell(target);
        var observed = await ObserveAsync(desired, shell, cancellationToken).ConfigureAwait(false);
        var diff = Diff(FabricItems.For(desired), observed);
        var changes = await new ChangeRunner(shell, desired.Node).RunAsync(diff, cancellationToken).ConfigureAwait(false);
        if (CheckUnderlay)
            await new UnderlayCheck(shell, UnderlayWait).EnsureReachableAsync(desired, diff.Where(d => d.Kind == FabricChangeKind.Add).Select(d => d.Item), cancellationToken).ConfigureAwait(false);
        return changes;
    }

    /// <summary>Removes everything the fabric put on the node (bridges, VXLAN device, ports, routes, FDB entries, flows).</summary>
    public async Task<FabricChanges> RemoveAsync(NodeFabric fabric, FabricTarget target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fabric);
        var shell = Shell(target);
        var observed = await ObserveAsync(fabric, shell, cancellationToken).ConfigureAwait(false);
        return await new ChangeRunner(shell, fabric.Node).RunAsync(Diff([], observed), cancellationToken).ConfigureAwait(false);
    }

    private NodeShell Shell(FabricTarget target) => new(_runner, target ?? throw new ArgumentNullException(nameof(target)), CommandTimeout);

    private static async Task<List<FabricItem>> ObserveAsync(NodeFabric fabric, NodeShell shell, CancellationToken ct)
    {
        try
        {
            return await new FabricObserver(shell).ObserveAsync(fabric, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CommandFailedException or ToolMissingException)
        {
            var hint = fabric.Kind == Core.Model.FabricKind.OvsVxlan
                ? " (is Open vSwitch running for this node? OvsInstance.StartAsync in a namespace, 'systemctl start openvswitch-switch' on a VM)"
                : "";
            throw new FabricException(fabric.Node, $"observe the node ({shell.Target})", e.Message + hint, e);
        }
    }

    /// <summary>Removals of what is there but not desired (highest rank first), then additions of what is missing.</summary>
    private static List<Difference> Diff(IReadOnlyList<FabricItem> desired, IReadOnlyList<FabricItem> observed)
    {
        var have = observed.Select(i => i.Key).ToHashSet(StringComparer.Ordinal);
        var want = desired.Select(i => i.Key).ToHashSet(StringComparer.Ordinal);
        var removals = observed.Where(i => !want.Contains(i.Key) && i.Remove(FabricTarget.Host).Any())
            .OrderByDescending(i => i.Rank).Select(i => new Difference(FabricChangeKind.Remove, i));
        var additions = desired.Where(i => !have.Contains(i.Key)).Select(i => new Difference(FabricChangeKind.Add, i));
        return [.. removals, .. additions];
    }

    private static FabricChange Describe(Difference d, FabricTarget target) =>
        new(d.Kind, d.Item.Line, [.. d.Commands(target).Select(c => c.Render(target))]);
}
