using Provisioner.Core.Planning;

namespace Provisioner.Netns;

/// <summary>
/// Carries out one kind of plan step on the netns backend: compares the step's desired state with the kernel
/// (<see cref="PlanAsync"/>: nothing when converged) and removes what the step made (<see cref="RemoveAsync"/>:
/// safe when it is already gone).
/// </summary>
public interface IStepLayer
{
    Task<IReadOnlyList<Change>> PlanAsync(PlanStep step, CancellationToken ct);

    Task RemoveAsync(PlanStep step, CancellationToken ct);
}

/// <summary>
/// A layer that runs processes (pod servers, OVS daemons). <c>netlab down</c> only stops these and then deletes the
/// namespaces, which take every link, address, route, rule and attachment with them: far faster than undoing each.
/// </summary>
public interface IProcessOwner
{
    Task StopProcessesAsync(PlanStep step, CancellationToken ct);
}
