using System.Collections.Immutable;

namespace Provisioner.Fabric.Convergence;

public enum FabricChangeKind { Add, Remove }

/// <summary>One item the converger adds or removes, and the commands that do it (as shell-quoted lines).</summary>
/// <param name="Line">The item's one-line form, e.g. <c>route 10.244.2.0/24 via 192.168.64.13</c>.</param>
public sealed record FabricChange(FabricChangeKind Kind, string Line, ImmutableArray<string> Commands)
{
    public override string ToString() => (Kind == FabricChangeKind.Add ? "+ " : "- ") + Line;
}

/// <summary>The changes a plan proposes or an apply/remove made on one node.</summary>
public sealed record FabricChanges(string Node, ImmutableArray<FabricChange> Changes)
{
    public bool IsEmpty => Changes.IsEmpty;

    /// <summary>Every command, in the order they run (or ran).</summary>
    public ImmutableArray<string> Commands => [.. Changes.SelectMany(c => c.Commands)];

    public IEnumerable<FabricChange> Added => Changes.Where(c => c.Kind == FabricChangeKind.Add);

    public IEnumerable<FabricChange> Removed => Changes.Where(c => c.Kind == FabricChangeKind.Remove);

    public override string ToString() =>
        IsEmpty ? $"{Node}: no changes" : $"{Node}:{Environment.NewLine}" + string.Join(Environment.NewLine, Changes.Select(c => "  " + c));
}
