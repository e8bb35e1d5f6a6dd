using Provisioner.Fabric.Convergence.Items;
using Provisioner.Fabric.Model;
using Provisioner.Host.Processes;

namespace Provisioner.Fabric.Convergence;

/// <summary>Pings the underlay address of each peer a change just added a tunnel or route to, in parallel, once.</summary>
internal sealed class UnderlayCheck(NodeShell shell)
{
    public async Task EnsureReachableAsync(NodeFabric fabric, IEnumerable<FabricItem> added, CancellationToken ct)
    {
        var addedLines = added.Select(i => i.Line).ToHashSet(StringComparer.Ordinal);
        var touched = fabric.Peers.Where(p => addedLines.Any(l => Mentions(l, p))).ToList();
        var results = await Task.WhenAll(touched.Select(async p =>
            (Peer: p, Result: await shell.RunAsync(new FabricCommand("ping", ["-c", "1", "-W", "2", "-q", p.UnderlayAddress], InNetns: true, MayFail: true), ct).ConfigureAwait(false))))
            .ConfigureAwait(false);
        var unreachable = results.Where(r => !r.Result.Succeeded).Select(r => $"{r.Peer.Node} ({r.Peer.UnderlayAddress})").ToList();
        if (unreachable.Count > 0)
            throw new FabricException(fabric.Node, "check the underlay",
                $"cannot reach {string.Join(", ", unreachable)} from {fabric.UnderlayAddress}; the tunnels/routes are in place but will carry nothing until the node is reachable (is it running, on the same underlay network?)");
    }

    private static bool Mentions(string line, FabricPeer peer) =>
        line.Contains($" {peer.PodSubnet} ", StringComparison.Ordinal) || line.EndsWith($"={peer.UnderlayAddress}", StringComparison.Ordinal)
        || line.Contains($"={peer.UnderlayAddress} ", StringComparison.Ordinal);

    internal static bool IsMissingPing(Exception e) => e is ToolMissingException;
}
