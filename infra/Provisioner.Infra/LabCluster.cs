using System.Collections.Immutable;
using Provisioner.Core.Model;
using Provisioner.Deploy;
using Pulumi;
using Pulumi.Command.Local;

namespace Provisioner.Infra;

/// <summary>The lab: one <see cref="LabNode"/> per node, and the cluster-wide steps (build, kubeconfig).</summary>
public sealed class LabCluster : ComponentResource
{
    public const string TypeToken = "netlab:index:Cluster";

    private readonly DeploymentPlan _plan;

    [Output("nodeAddresses")]
    public Output<ImmutableDictionary<string, string>> NodeAddresses { get; }

    [Output("controlPlaneEndpoint")]
    public Output<string?> ControlPlaneEndpoint { get; }

    public LabCluster(string name, DeploymentPlan plan, ComponentResourceOptions? options = null)
        : base(TypeToken, name, options)
    {
        _plan = plan;
        var nodes = plan.Nodes.ToDictionary(n => n.Name, n => new LabNode($"{name}-{n.Name}", n, new ComponentResourceOptions { Parent = this }));
        var commands = new Dictionary<string, Command>(StringComparer.Ordinal);
        var reads = new Dictionary<string, Output<string>>(StringComparer.Ordinal);
        var addresses = new Dictionary<string, Output<string>>(StringComparer.Ordinal);

        Output<string> AddressOf(string node)
        {
            if (addresses.TryGetValue(node, out var address))
                return address;
            var deployed = plan.Node(node);
            return addresses[node] = deployed.AddressStepId is { } id
                ? reads[id].Apply(stdout => Chosen(deployed, stdout))
                : Output.Create(deployed.StaticAddress!);
        }

        // A dependency on a lookup (no resource) is one on what the lookup itself waits for.
        IEnumerable<Resource> Resources(string id) =>
            commands.TryGetValue(id, out var command) ? [command] : plan.Step(id).DependsOn.SelectMany(Resources);

        foreach (var step in plan.Steps) // dependencies first
        {
            Resource parent = step.Node is null ? this : nodes[step.Node];
            var dependsOn = step.DependsOn.SelectMany(Resources).Distinct().ToArray();
            if (step.ReadOnEveryRun)
                reads[step.Id] = StepCommand.Read(step, parent, dependsOn);
            else
                commands[step.Id] = StepCommand.Declare(plan.ResourceName(step), step, parent, dependsOn, AddressOf);
        }

        foreach (var node in plan.Nodes)
            nodes[node.Name].Complete(AddressOf(node.Name));

        NodeAddresses = Output.All(plan.Nodes.Select(n => AddressOf(n.Name).Apply(a => KeyValuePair.Create(n.Name, a))))
            .Apply(pairs => pairs.ToImmutableDictionary());
        var controlPlane = plan.Nodes.First(n => n.Role == NodeRole.ControlPlane);
        ControlPlaneEndpoint = AddressOf(controlPlane.Name).Apply(plan.ControlPlaneEndpoint);
        RegisterOutputs();
    }

    private string Chosen(DeployedNode node, string stdout)
    {
        AddressChoice choice;
        try
        {
            choice = _plan.AddressFrom(node, stdout);
        }
        catch (Provisioner.Multipass.MultipassException e)
        {
            throw new RunException(e.Message); // e.g. a stopped VM: printed with its fix, without a stack trace
        }
        if (choice.Warning is not null)
            Log.Warn(choice.Warning, this);
        return choice.Address;
    }
}
