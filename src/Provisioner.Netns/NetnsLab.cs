using Provisioner.Core.Planning;
using Provisioner.Errors;

namespace Provisioner.Netns;

/// <summary>
/// A whole lab on one host: applies the plan's steps in order with the layer that knows each kind, computes drift
/// (<see cref="PlanAsync"/>), and removes everything it made (<see cref="DownAsync"/>).
/// </summary>
public sealed class NetnsLab(LabPlan plan, LabLayout layout, IReadOnlyDictionary<StepKind, IStepLayer> layers, Namespaces namespaces)
{
    public LabPlan Plan => plan;
    public LabLayout Layout => layout;

    /// <summary>The kinds in the order they are built; steps of one kind are independent of each other.</summary>
    private static readonly StepKind[] Order =
        [StepKind.Underlay, StepKind.Machine, StepKind.Cni, StepKind.Fabric, StepKind.Pod, StepKind.ServiceRules, StepKind.ClusterDns, StepKind.LoadBalancer, StepKind.NetworkPolicy];

    /// <summary>Every namespace this plan creates.</summary>
    public IEnumerable<string> NamespaceNames =>
        [layout.UnderlayNamespace, layout.OutsideNamespace,
         .. plan.Lab.Nodes.Select(n => layout.NodeNamespace(n.Name)), .. plan.Lab.Pods.Select(p => layout.PodNamespace(p.Name))];

    /// <summary>What <c>up</c> would change now: empty when the kernel matches the stack. Steps are planned as
    /// <see cref="UpAsync"/> plans them, kind by kind and the steps of one kind in parallel (a lab of 100 pods runs 100
    /// CNI CHECKs, whose cost is mostly process start-up: one after another they were most of a plan's time); the
    /// changes are listed in the plan's step order.</summary>
    public async Task<IReadOnlyList<Change>> PlanAsync(CancellationToken ct = default)
    {
        var steps = plan.Steps.Where(s => layers.ContainsKey(s.Kind)).ToList();
        var planned = new IReadOnlyList<Change>[steps.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct };
        foreach (var kind in Order.Where(layers.ContainsKey).Concat(steps.Select(s => s.Kind).Distinct().Where(k => !Order.Contains(k))))
            await Parallel.ForEachAsync(Enumerable.Range(0, steps.Count).Where(i => steps[i].Kind == kind), parallel,
                async (i, c) => planned[i] = await layers[kind].PlanAsync(steps[i], c).ConfigureAwait(false)).ConfigureAwait(false);
        return [.. planned.SelectMany(p => p)];
    }

    /// <summary>
    /// Converges every step, kind by kind; steps of one kind run in parallel. Each step is planned just before it is
    /// applied, so it sees what the steps before it made. Reports each step with the changes it applied.
    /// </summary>
    public async Task UpAsync(Action<PlanStep, IReadOnlyList<Change>>? progress = null, CancellationToken ct = default)
    {
        LabState.Record(layout, NamespaceNames);
        foreach (var kind in Order.Where(layers.ContainsKey))
        {
            var steps = plan.OfKind(kind).ToList();
            await Parallel.ForEachAsync(steps, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (step, c) =>
            {
                var changes = await ApplyStepAsync(step, c).ConfigureAwait(false);
                progress?.Invoke(step, changes);
            }).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<Change>> ApplyStepAsync(PlanStep step, CancellationToken ct = default)
    {
        using var timed = Core.Diagnostics.PhaseTimer.Start($"step {step.Id} (plan and apply)");
        var changes = await layers[step.Kind].PlanAsync(step, ct).ConfigureAwait(false);
        foreach (var change in changes)
        {
            try
            {
                await change.Apply(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested) // only the user's cancel is no failure
            {
                throw new StepFailedException(step, change, e);
            }
        }
        return changes;
    }

    public Task RemoveStepAsync(PlanStep step, CancellationToken ct = default) => layers[step.Kind].RemoveAsync(step, ct);

    /// <summary>
    /// Removes the lab: stops its processes (pod servers, OVS daemons), deletes every namespace it ever recorded
    /// (their links, routes, rules and attachments go with them), then its state directory (IPAM, OVS databases).
    /// Safe to run twice, and after a crash or a half-finished <c>up</c>.
    /// </summary>
    public async Task DownAsync(Action<string>? progress = null, CancellationToken ct = default)
    {
        var owners = plan.Steps.Where(s => layers.TryGetValue(s.Kind, out var l) && l is IProcessOwner).ToList();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct };
        await Parallel.ForEachAsync(owners, parallel, async (step, c) =>
        {
            try
            {
                await ((IProcessOwner)layers[step.Kind]).StopProcessesAsync(step, c).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !c.IsCancellationRequested)
            {
                progress?.Invoke($"could not stop the processes of {step.Id} cleanly ({e.Message}); deleting its namespace kills them");
            }
        }).ConfigureAwait(false);
        var names = LabState.Load(layout).Namespaces.Union(NamespaceNames, StringComparer.Ordinal).ToList();
        await Parallel.ForEachAsync(names, parallel, async (name, c) =>
        {
            if (await namespaces.DeleteAsync(name, c).ConfigureAwait(false))
                progress?.Invoke($"deleted namespace {name}");
            if (Directory.Exists(LabLayout.EtcDirectory(name)))
                Directory.Delete(LabLayout.EtcDirectory(name), recursive: true); // the pod's resolv.conf
        }).ConfigureAwait(false);
        if (Directory.Exists(layout.Directory))
            Directory.Delete(layout.Directory, recursive: true);
    }
}

/// <summary>A step could not be applied; names the step, the change and the cause.</summary>
public sealed class StepFailedException : NetlabException
{
    public StepFailedException() { }

    public StepFailedException(string message) : base(message) { }

    public StepFailedException(string message, Exception inner) : base(message, inner) { }

    public StepFailedException(PlanStep step, Change change, Exception inner)
        : base($"step {step.Id} ({step.Summary}) failed at '{change.Description}': {inner.Message}", inner) => StepId = step.Id;

    public string StepId { get; } = "";
}
