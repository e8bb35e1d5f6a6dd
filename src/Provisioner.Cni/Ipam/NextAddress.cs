using System.Net;
using Provisioner.Cni.Config;

namespace Provisioner.Cni.Ipam;

/// <summary>
/// Picks the next free address like host-local: start right after the last one handed out, walk the range
/// round-robin, skip the gateway, reserved and allocated addresses. Round-robin keeps a just-released address
/// from being reused at once (a stale ARP entry or conntrack flow would otherwise hit the new pod).
/// </summary>
internal static class NextAddress
{
    public static IPAddress? Pick(IpamConfig range, IReadOnlySet<IPAddress> allocated, IPAddress? lastReserved)
    {
        var start = Ipv4.ToUInt(range.RangeStart);
        var end = Ipv4.ToUInt(range.RangeEnd);
        var count = end - start + 1;
        var last = lastReserved is null ? end : Ipv4.ToUInt(lastReserved);
        var first = last >= start && last < end ? last + 1 : start;
        for (uint step = 0; step < count; step++)
        {
            var candidate = Ipv4.FromUInt(start + ((first - start + step) % count));
            if (candidate.Equals(range.Gateway) || range.Reserved.Contains(candidate) || allocated.Contains(candidate))
                continue;
            return candidate;
        }
        return null;
    }
}
