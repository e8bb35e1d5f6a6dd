using Provisioner.Core.Planning;

namespace Provisioner.Netns.Layers;

/// <summary>Underlay and node namespaces (<see cref="StepKind.Underlay"/>, <see cref="StepKind.Machine"/>).</summary>
public sealed class MachineLayer(MachineReconciler machines, LabPlan plan) : IStepLayer
{
    public Task<IReadOnlyList<Change>> PlanAsync(PlanStep step, CancellationToken ct) =>
        step.Kind == StepKind.Underlay ? machines.UnderlayAsync(ct) : machines.NodeAsync(plan.Addresses.Node(step.Node!), ct);

    public Task RemoveAsync(PlanStep step, CancellationToken ct) =>
        step.Kind == StepKind.Underlay ? machines.RemoveUnderlayAsync(ct) : machines.RemoveNodeAsync(step.Node!, ct);
}
