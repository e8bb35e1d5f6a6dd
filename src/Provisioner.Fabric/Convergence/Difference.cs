using Provisioner.Fabric.Convergence.Items;

namespace Provisioner.Fabric.Convergence;

/// <summary>One item to add or remove.</summary>
internal sealed record Difference(FabricChangeKind Kind, FabricItem Item)
{
    public IEnumerable<FabricCommand> Commands(FabricTarget target) => Kind == FabricChangeKind.Add ? Item.Add(target) : Item.Remove(target);

    /// <summary>The step's name in errors: <c>add route 10.244.2.0/24 via 192.168.64.13</c>.</summary>
    public string Step => $"{(Kind == FabricChangeKind.Add ? "add" : "remove")} {Item.Line}";
}
