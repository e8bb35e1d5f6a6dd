using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Provisioner.Core.LoadBalancing;

/// <summary>An address some node must answer ARP for: a LoadBalancer's EXTERNAL-IP or an external IP on the node network.</summary>
/// <param name="LocalOnly">externalTrafficPolicy Local: only a node with a ready endpoint may announce it.</param>
/// <param name="EndpointNodes">The nodes that have a ready endpoint of the service.</param>
public sealed record AnnounceRequest(IPAddress Address, string Service, bool LocalOnly, IReadOnlySet<string> EndpointNodes);

/// <summary>The node that answers ARP for an address, or none (no eligible node: say why).</summary>
public sealed record Announcement(AnnounceRequest Request, string? Node, string Reason);

/// <summary>
/// MetalLB L2 mode's choice of one announcing node per address: among the nodes that are up (and, with
/// externalTrafficPolicy Local, have an endpoint), the current announcer keeps the address while it stays eligible
/// (a move breaks established connections, so it moves only on failure); otherwise the node first in the order of
/// sha256(node + address), so addresses spread over the nodes and every speaker computes the same answer.
/// </summary>
public static class L2Announcements
{
    public static IReadOnlyList<Announcement> Plan(
        IEnumerable<AnnounceRequest> requests, IReadOnlyCollection<string> liveNodes, IReadOnlyDictionary<IPAddress, string> current)
    {
        var result = new List<Announcement>();
        foreach (var request in requests)
        {
            var eligible = liveNodes.Where(n => !request.LocalOnly || request.EndpointNodes.Contains(n)).ToList();
            if (eligible.Count == 0)
            {
                result.Add(new Announcement(request, null, request.LocalOnly
                    ? "externalTrafficPolicy Local and no live node has a ready endpoint"
                    : "no live node to announce it"));
                continue;
            }
            if (current.TryGetValue(request.Address, out var holder) && eligible.Contains(holder))
            {
                result.Add(new Announcement(request, holder, "keeps announcing it"));
                continue;
            }
            var chosen = eligible.OrderBy(n => Rank(n, request.Address)).ThenBy(n => n, StringComparer.Ordinal).First();
            result.Add(new Announcement(request, chosen, holder is null ? "first in hash order" : $"takes over from {holder}"));
        }
        return result;
    }

    private static ulong Rank(string node, IPAddress address) =>
        BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes($"{node}#{address}")));
}
