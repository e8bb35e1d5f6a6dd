namespace Provisioner.Fabric.Convergence.Items;

/// <summary>
/// One thing the fabric puts on a node (a bridge, a tunnel port, a route, a flow...). The desired state expands to
/// items; observing the node yields items of the same shapes; the difference, by <see cref="Key"/>, is what to change.
/// </summary>
internal abstract record FabricItem
{
    /// <summary>Creation order: lower ranks are created first and removed last (a port needs its bridge, a flow its port).</summary>
    public abstract int Rank { get; }

    /// <summary>The readable one-line form, e.g. <c>tunnel vx-worker2 remote=192.168.64.13 vni=4242</c>.</summary>
    public abstract string Line { get; }

    /// <summary>Identity for the diff; the line unless the item is known by something shorter (a flow's cookie).</summary>
    public virtual string Key => Line;

    public abstract IEnumerable<FabricCommand> Add(FabricTarget target);

    /// <summary>Commands that undo it; none for settings the node keeps (forwarding, an MTU).</summary>
    public abstract IEnumerable<FabricCommand> Remove(FabricTarget target);

    /// <summary>Ranks, so the order reads in one place.</summary>
    protected internal static class Ranks
    {
        public const int Setting = 0, Device = 10, Port = 20, Mtu = 25, Address = 30, Fdb = 35, Neighbour = 40, Route = 50, Flow = 60;
    }
}
