using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Provisioner.Core.Model;

namespace Provisioner.Core.Planning;

/// <summary>
/// Gives each node its pod subnet, a <c>network.nodePodPrefix</c> slice of <c>network.podCidr</c>: the slice the stack
/// pins (<c>nodes[].podCidr</c>), else one picked by a hash of the node's name, the next free slice winning when that
/// one is taken. The nodes' order plays no part, so reordering the list, or adding or removing a node, leaves every
/// other node's subnet where it was, with one exception, stated as it is: nothing is stored, so when two unpinned
/// names hash to the same slice, the name that sorts first (ordinal) keeps it and the other takes the next free one;
/// adding or removing a node of such a collision can then move the other one (with a /16 cut into /24s, two of three
/// nodes collide about once in 85 labs). Pin <c>podCidr</c> on a node whose subnet must never move.
/// </summary>
public static class PodSubnetAllocator
{
    /// <summary>The slice index of each node (by name) in a valid lab.</summary>
    public static IReadOnlyDictionary<string, long> Slices(LabConfig lab)
    {
        ArgumentNullException.ThrowIfNull(lab);
        var podCidr = Cidr.Parse(lab.Network.PodCidr);
        var size = 1L << (32 - lab.Network.NodePodPrefix);
        var count = Cidr.Size(podCidr) / size;
        var slices = new Dictionary<string, long>(StringComparer.Ordinal);
        var used = new HashSet<long>();
        foreach (var node in lab.Nodes.Where(n => n.PodCidr is not null))
        {
            var slice = Cidr.OffsetOf(podCidr, Cidr.Parse(node.PodCidr!).Network) / size;
            used.Add(slice);
            slices[node.Name] = slice;
        }
        foreach (var node in lab.Nodes.Where(n => n.PodCidr is null).OrderBy(n => n.Name, StringComparer.Ordinal))
            slices[node.Name] = Probe(Home(node.Name, count), count, used);
        return slices;
    }

    /// <summary>The slice a node's name hashes to (where it lands unless that slice is taken).</summary>
    public static long Home(string node, long count) =>
        (long)(BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(node))) % (ulong)count);

    private static long Probe(long home, long count, HashSet<long> used)
    {
        for (long i = 0; i < count; i++)
        {
            var candidate = (home + i) % count;
            if (used.Add(candidate))
                return candidate;
        }
        throw new InvalidOperationException($"no free node subnet left among {count}");
    }
}
