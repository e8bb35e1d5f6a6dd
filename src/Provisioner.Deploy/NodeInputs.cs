using System.Collections.Immutable;
using Provisioner.Core.Planning;

namespace Provisioner.Deploy;

/// <summary>
/// One rendered file a node receives (cloud-init user-data, kubeadm config, conflist, script).
/// </summary>
/// <param name="Name">Relative name as <c>netlab render</c> writes it, e.g. <c>scripts/kubeadm-init.sh</c>.</param>
/// <param name="NodePath">Where it is installed on the node; null for the user-data (given at launch).</param>
/// <param name="Mode">Octal mode for <c>install -m</c>, e.g. <c>0755</c>.</param>
/// <param name="Sha256">Changes exactly when the content or the mode does.</param>
public sealed record NodeFile(string Name, string Content, string? NodePath, string Mode, string Sha256);

/// <summary>The rendered files of each node (implemented over Provisioner.Rendering's <c>LabRenderer.RenderNode</c>).</summary>
public interface INodeFiles
{
    IReadOnlyList<NodeFile> For(LabPlan plan, string node);
}

/// <summary>
/// A node component's desired state: the document <c>netlab node fabric|services apply FILE</c> reads on the node,
/// and the readable lines (tunnels, routes, rules) that say what it does; those lines are the step's triggers.
/// </summary>
public sealed record NodeDocument(string Content, ImmutableArray<string> TriggerLines)
{
    /// <summary>
    /// The trigger lines keyed by their first word and a hash of the line (<c>fabric.tunnel.1a2b3c4d</c>), not by
    /// position: a new tunnel adds its own keys in a preview instead of shifting every line after it.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string>> Triggers(string prefix) =>
        TriggerLines.Distinct(StringComparer.Ordinal)
            .Select(line => KeyValuePair.Create($"{prefix}.{line.Split(' ')[0]}.{Hash.Sha256(line)[..8]}", line));
}

/// <summary>The node components' desired state per node (the fabric and the service rules).</summary>
public interface INodeComponents
{
    NodeDocument Fabric(LabPlan plan, string node);

    NodeDocument ServiceRules(LabPlan plan, string node);
}
