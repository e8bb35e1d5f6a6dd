using System.Collections.Immutable;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;

namespace Provisioner.Deploy.Netns;

/// <summary>
/// Maps a lab's plan onto network namespaces on this host: every plan step is carried out by the netlab CLI itself
/// (<c>netlab step apply|remove ID --stack FILE</c>, idempotent), so Pulumi and <c>netlab up</c> build the same lab.
/// Needs root, like <c>netlab up</c>.
/// </summary>
public sealed class NetnsStepMapper(DeploymentPlanner.Inputs inputs)
{
    private readonly LabPlan _plan = inputs.Plan;
    private readonly DeployOptions _options = inputs.Options;

    /// <summary>Kinds a re-apply converges in place; the others are replaced (removed, then applied again).</summary>
    private static readonly StepKind[] InPlaceKinds = [StepKind.Cni, StepKind.Fabric, StepKind.ServiceRules, StepKind.NetworkPolicy];

    public IEnumerable<CommandStep> Map()
    {
        yield return BuildSteps.HostBinaries(_options);
        foreach (var step in _plan.Steps)
            yield return Map(step);
    }

    public DeployedNode Deployed(NodeSpec node) =>
        new(node.Name, $"{_plan.Lab.Name}-{node.Name}", node.Role, null, _plan.Addresses.Node(node.Name).UnderlayAddress.ToString());

    private CommandStep Map(PlanStep step)
    {
        var netlab = $"{_options.BinDir}/netlab";
        var apply = Shell.Command(netlab, "step", "apply", step.Id, "--stack", _options.StackFile);
        var inPlace = InPlaceKinds.Contains(step.Kind);
        var triggers = step.Kind switch
        {
            StepKind.Fabric => step.Triggers.AddRange(inputs.Components.Fabric(_plan, step.Node!).Triggers("fabric")),
            StepKind.ServiceRules => step.Triggers.AddRange(inputs.Components.ServiceRules(_plan, step.Node!).Triggers("rules")),
            _ => step.Triggers,
        };
        return new CommandStep
        {
            Id = step.Id, PlanStepId = step.Id, Kind = step.Kind, Node = step.Node, Summary = step.Summary,
            Create = apply,
            Update = inPlace ? apply : null,
            // Not from the stack file: the step is removed as its last apply recorded it (a pod since removed from the
            // stack, or moved to another node, is undone where it was made).
            Delete = Shell.Command(netlab, "step", "remove", step.Id, "--lab", _plan.Lab.Name),
            OnChange = inPlace ? ChangeMode.UpdateInPlace : ChangeMode.Replace,
            DependsOn = [.. step.DependsOn, BuildSteps.BinariesId],
            // A new netlab re-applies the in-place steps; it does not recreate namespaces and pods.
            Triggers = inPlace ? triggers.SetItem("binaries", _options.SourceVersion) : triggers,
        };
    }

}
