using Provisioner.Errors;

namespace Provisioner.Fabric;

/// <summary>
/// A fabric step failed on a node. The message names the node, the step and, where one is known, the fix.
/// </summary>
public sealed class FabricException : NetlabException
{
    public FabricException() { }

    public FabricException(string message) : base(message) { }

    public FabricException(string message, Exception inner) : base(message, inner) { }

    public FabricException(string node, string step, string problem, Exception? inner = null)
        : base($"fabric of node '{node}': {step}: {problem}", inner)
    {
        Node = node;
        Step = step;
    }

    public string Node { get; } = "";
    public string Step { get; } = "";
}
