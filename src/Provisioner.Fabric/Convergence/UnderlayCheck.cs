using Provisioner.Fabric.Convergence.Items;
using Provisioner.Fabric.Model;
using Provisioner.Host.Processes;

namespace Provisioner.Fabric.Convergence;

/// <summary>
/// Pings, once and in parallel, the underlay address of each peer a change just added a tunnel or route to. One shell
/// in the node runs the pings and prints the addresses that did not answer.
/// </summary>
internal sealed class UnderlayCheck(NodeShell shell)
{
    public async Task EnsureReachableAsync(NodeFabric fabric, IEnumerable<FabricItem> added, CancellationToken ct)
    {
        var addedLines = added.Select(i => i.Line).ToList();
        var touched = fabric.Peers.Where(p => addedLines.Any(l => Mentions(l, p))).ToList();
        if (touched.Count == 0)
            return;
        var script = string.Join(' ', touched.Select(p =>
            $"{{ {ShellQuote.Join(["ping", "-c", "1", "-W", "2", "-q", p.UnderlayAddress])} >/dev/null 2>&1 || echo {ShellQuote.Quote(p.UnderlayAddress)}; }} &")) + " wait";
        var silent = (await shell.CaptureAsync(new FabricCommand("sh", ["-c", script], InNetns: true), ct).ConfigureAwait(false))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        var unreachable = touched.Where(p => silent.Contains(p.UnderlayAddress)).Select(p => $"{p.Node} ({p.UnderlayAddress})").ToList();
        if (unreachable.Count > 0)
            throw new FabricException(fabric.Node, "check the underlay",
                $"cannot reach {string.Join(", ", unreachable)} from {fabric.UnderlayAddress}; the tunnels/routes are in place but carry nothing until the node answers (is it running, on the same underlay network?)");
    }

    /// <summary>Whether an item's line is about this peer: its pod subnet or its underlay address.</summary>
    private static bool Mentions(string line, FabricPeer peer) =>
        line.Contains($" {peer.PodSubnet} ", StringComparison.Ordinal)
        || $"{line} ".Contains($"={peer.UnderlayAddress} ", StringComparison.Ordinal)
        || $"{line} ".Contains($" {peer.UnderlayAddress} ", StringComparison.Ordinal);
}
