using Provisioner.Core.Model;
using Provisioner.Testing;

namespace Provisioner.Fabric.Tests;

/// <summary>Why the pod MTU is the underlay MTU less 50: with the pod MTU at the underlay's, full-size
/// packets are dropped (OVS userspace) or fragmented on the underlay (kernel VXLAN).</summary>
[Collection(PrivilegedCollection.Name)]
public sealed class FabricMtuSpecs
{
    [PrivilegedTheory]
    [InlineData(FabricKind.OvsVxlan)]
    [InlineData(FabricKind.LinuxVxlan)]
    public async Task A_pod_mtu_equal_to_the_underlay_mtu_breaks_full_size_packets_across_the_overlay(FabricKind kind)
    {
        using var lab = new FabricTestLab(kind);
        var plan = lab.Plan(2);
        const int wrongMtu = 1500; // the underlay's MTU: no room for the 50 bytes of VXLAN
        string[] nodes = ["n1", "n2"];
        foreach (var node in nodes)
            await lab.AddNodeAsync(plan, node);
        foreach (var node in nodes)
            await lab.Converger.ApplyAsync(lab.Fabric(plan, node) with { PodMtu = wrongMtu }, lab.Target(node));
        var a = lab.AddPod(plan, "n1", 0, wrongMtu);
        var b = lab.AddPod(plan, "n2", 0, wrongMtu);

        Assert.True(lab.Reaches(a, b.Address), "small packets still cross");
        var reassembledBefore = Reassembled(lab, "n2");
        var crossed = lab.Reaches(a, b.Address, wrongMtu - 28, dontFragment: true);
        if (kind == FabricKind.OvsVxlan)
        {
            // The userspace datapath cannot send a 1550-byte frame on a 1500-byte underlay: the packet is dropped.
            Assert.False(crossed, "a 1500-byte packet with DF set crossed a 1500-byte underlay inside 50 bytes of VXLAN");
        }
        else
        {
            // The kernel VXLAN device (df unset, flannel's default) fragments the outer UDP packet instead: the ping
            // crosses, but every full-size packet now costs two on the wire and a reassembly on the far node.
            Assert.True(crossed, "the kernel fragments the outer packet");
            Assert.True(Reassembled(lab, "n2") > reassembledBefore, "n2 reassembled no fragments: the outer packet was not fragmented");
        }
    }

    /// <summary>The node's count of reassembled IP packets (nstat's IpReasmOKs, per namespace).</summary>
    private static long Reassembled(FabricTestLab lab, string node)
    {
        var line = lab.Sh(lab.NodeNetns[node], "nstat", "-az", "IpReasmOKs").Split('\n').FirstOrDefault(l => l.StartsWith("IpReasmOKs", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
