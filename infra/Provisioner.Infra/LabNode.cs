using Provisioner.Deploy;
using Pulumi;

namespace Provisioner.Infra;

/// <summary>One node of the lab (a Multipass VM or a node namespace): the parent of the steps that run on it.</summary>
public sealed class LabNode : ComponentResource
{
    public const string TypeToken = "netlab:index:Node";

    private readonly DeployedNode _node;

    [Output("machine")]
    public Output<string> Machine { get; }

    [Output("address")]
    public Output<string> Address { get; private set; } = null!;

    public LabNode(string name, DeployedNode node, ComponentResourceOptions? options = null)
        : base(TypeToken, name, options)
    {
        _node = node;
        Machine = Output.Create(node.Machine);
    }

    /// <summary>Registers the outputs once the node's steps are declared (its address comes from one of them).</summary>
    internal void Complete(Output<string> address)
    {
        Address = address;
        RegisterOutputs(new Dictionary<string, object?> { ["machine"] = _node.Machine, ["address"] = address });
    }
}
