using System.Collections.Immutable;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Deploy.Multipass;

namespace Provisioner.Deploy;

/// <summary>A node as deployed: its machine (VM or namespace) and where its address comes from.</summary>
/// <param name="Machine">The VM's (or node namespace's) name: <c>&lt;lab&gt;-&lt;node&gt;</c>.</param>
/// <param name="AddressStepId">The step whose stdout holds the address (Multipass: <c>multipass info</c>), if any.</param>
/// <param name="StaticAddress">The address when the plan fixes it (netns underlay).</param>
public sealed record DeployedNode(string Name, string Machine, NodeRole Role, string? AddressStepId, string? StaticAddress);

/// <summary>A node's address, and a warning when it had to be guessed (no address in <c>network.nodeCidr</c>).</summary>
public sealed record AddressChoice(string Address, string? Warning);

/// <summary>
/// A lab's command steps for one backend, in dependency order, with what the stack outputs need. Built by
/// <see cref="DeploymentPlanner"/>; the Pulumi program declares one resource per step and nothing else.
/// </summary>
public sealed record DeploymentPlan
{
    public required LabPlan Plan { get; init; }
    public required DeployOptions Options { get; init; }

    /// <summary>Every step; each one's <see cref="CommandStep.DependsOn"/> come before it.</summary>
    public required ImmutableArray<CommandStep> Steps { get; init; }

    public required ImmutableArray<DeployedNode> Nodes { get; init; }

    /// <summary>Where the admin kubeconfig is written (relative to the project root); null without Kubernetes.</summary>
    public string? KubeconfigPath { get; init; }

    /// <summary>The files the program writes (once each) before any step runs.</summary>
    public IEnumerable<LocalFile> LocalFiles =>
        Steps.SelectMany(s => s.LocalFiles).DistinctBy(f => f.Path, StringComparer.Ordinal);

    /// <summary>Every resource's name starts with this: <c>&lt;lab&gt;-&lt;stack&gt;</c> (the cluster component's name).</summary>
    public string ResourcePrefix => $"{Plan.Lab.Name}-{Options.StackName}";

    /// <summary>The Pulumi resource name of a step: <c>&lt;lab&gt;-&lt;stack&gt;-&lt;id&gt;</c>.</summary>
    public string ResourceName(CommandStep step) => $"{ResourcePrefix}-{step?.Id}";

    public CommandStep Step(string id) =>
        Steps.FirstOrDefault(s => s.Id == id) ?? throw new KeyNotFoundException($"no command step '{id}'");

    public DeployedNode Node(string name) =>
        Nodes.FirstOrDefault(n => n.Name == name) ?? throw new KeyNotFoundException($"node '{name}' is not in the stack");

    /// <summary>A node's address from its address step's stdout (throws with the fix when it has none).</summary>
    public AddressChoice AddressFrom(DeployedNode node, string stdout) =>
        node.StaticAddress is { } fixedAddress
            ? new AddressChoice(fixedAddress, null)
            : MultipassStepMapper.ChooseAddress(node, stdout, Plan.Lab.Network.NodeCidr);

    /// <summary>The API server's URL on the control-plane node; null without Kubernetes.</summary>
    public string? ControlPlaneEndpoint(string controlPlaneAddress) =>
        Plan.Lab.Backend == Backend.Multipass ? $"https://{controlPlaneAddress}:6443" : null;

    /// <summary>Orders steps so each comes after its dependencies; refuses unknown, duplicate or circular ones.</summary>
    internal static ImmutableArray<CommandStep> Ordered(IReadOnlyList<CommandStep> steps)
    {
        var byId = new Dictionary<string, CommandStep>(StringComparer.Ordinal);
        foreach (var step in steps)
        {
            if (!byId.TryAdd(step.Id, step))
                throw new InvalidOperationException($"two command steps are named '{step.Id}'");
        }
        foreach (var step in steps)
        {
            var unknown = step.DependsOn.FirstOrDefault(d => !byId.ContainsKey(d));
            if (unknown is not null)
                throw new InvalidOperationException($"step '{step.Id}' depends on '{unknown}', which is not a step");
        }

        var ordered = new List<CommandStep>(steps.Count);
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: visiting, true: done
        void Visit(CommandStep step)
        {
            if (state.TryGetValue(step.Id, out var done))
            {
                if (!done)
                    throw new InvalidOperationException($"steps depend on each other in a circle through '{step.Id}'");
                return;
            }
            state[step.Id] = false;
            foreach (var dependency in step.DependsOn)
                Visit(byId[dependency]);
            state[step.Id] = true;
            ordered.Add(step);
        }
        foreach (var step in steps)
            Visit(step);
        return [.. ordered];
    }
}
