using Provisioner.Core.Planning;
using Provisioner.Rendering;

namespace Provisioner.Deploy;

/// <summary>Each node's files as <see cref="LabRenderer"/> renders them (the same bytes <c>netlab render</c> writes).</summary>
public sealed class RenderedNodeFiles : INodeFiles
{
    public static RenderedNodeFiles Instance { get; } = new();

    public IReadOnlyList<NodeFile> For(LabPlan plan, string node) =>
        [.. LabRenderer.RenderNode(plan, node).Select(f => new NodeFile(f.RelativePath, f.Content, f.NodePath, f.OctalMode, f.Sha256))];
}
