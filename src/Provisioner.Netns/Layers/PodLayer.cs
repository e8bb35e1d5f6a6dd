using Provisioner.Core.Planning;
using Provisioner.Netns.Pods;

namespace Provisioner.Netns.Layers;

public sealed class PodLayer(PodReconciler pods, LabPlan plan) : IStepLayer, IProcessOwner
{
    public Task<IReadOnlyList<Change>> PlanAsync(PlanStep step, CancellationToken ct) => pods.PlanAsync(Pod(step), ct);

    public Task RemoveAsync(PlanStep step, CancellationToken ct) => pods.RemoveAsync(Pod(step), ct);

    public Task StopProcessesAsync(PlanStep step, CancellationToken ct)
    {
        pods.StopServer(step.Pod!);
        return Task.CompletedTask;
    }

    private Core.Model.PodSpec Pod(PlanStep step) => plan.Lab.Pods.First(p => p.Name == step.Pod);
}
