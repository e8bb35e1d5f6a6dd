using System.Diagnostics;
using Provisioner.Fabric.Convergence.Items;
using Provisioner.Fabric.Model;
using Provisioner.Host.Processes;

namespace Provisioner.Fabric.Convergence;

/// <summary>
/// Pings, in parallel, the underlay address of each peer a change just added a tunnel or route to. One shell in the
/// node runs the pings of a round and prints the addresses that did not answer; the peers still silent are asked again
/// until <paramref name="wait"/> has passed, because nodes build their fabrics at the same time and a peer may be moving
/// its address onto its bridge at this moment (OVS) or still booting (a VM).
/// </summary>
internal sealed class UnderlayCheck(NodeShell shell, TimeSpan wait)
{
    public async Task EnsureReachableAsync(NodeFabric fabric, IEnumerable<FabricItem> added, CancellationToken ct)
    {
        var addedLines = added.Select(i => i.Line).ToList();
        var silent = fabric.Peers.Where(p => addedLines.Any(l => Mentions(l, p))).ToList();
        var clock = Stopwatch.StartNew();
        while (silent.Count > 0)
        {
            silent = await SilentAsync(silent, ct).ConfigureAwait(false);
            if (silent.Count == 0 || clock.Elapsed >= wait)
                break;
            await Task.Delay(TimeSpan.FromMilliseconds(250), ct).ConfigureAwait(false);
        }
        if (silent.Count > 0)
            throw new FabricException(fabric.Node, "check the underlay",
                $"cannot reach {string.Join(", ", silent.Select(p => $"{p.Node} ({p.UnderlayAddress})"))} from {fabric.UnderlayAddress} " +
                $"within {wait.TotalSeconds:0} s; the tunnels/routes are in place but carry nothing until the node answers (is it running, on the same underlay network?)");
    }

    /// <summary>One round: the peers that did not answer a single ping.</summary>
    private async Task<List<FabricPeer>> SilentAsync(IReadOnlyList<FabricPeer> peers, CancellationToken ct)
    {
        var script = string.Join(' ', peers.Select(p =>
            $"{{ {ShellQuote.Join(["ping", "-c", "1", "-W", "1", "-q", p.UnderlayAddress])} >/dev/null 2>&1 || echo {ShellQuote.Quote(p.UnderlayAddress)}; }} &")) + " wait";
        var silent = (await shell.CaptureAsync(new FabricCommand("sh", ["-c", script], InNetns: true), ct).ConfigureAwait(false))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        return [.. peers.Where(p => silent.Contains(p.UnderlayAddress))];
    }

    /// <summary>Whether an item's line is about this peer: its pod subnet or its underlay address.</summary>
    private static bool Mentions(string line, FabricPeer peer) =>
        line.Contains($" {peer.PodSubnet} ", StringComparison.Ordinal)
        || $"{line} ".Contains($"={peer.UnderlayAddress} ", StringComparison.Ordinal)
        || $"{line} ".Contains($" {peer.UnderlayAddress} ", StringComparison.Ordinal);
}
