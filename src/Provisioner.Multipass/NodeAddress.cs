using System.Net;

namespace Provisioner.Multipass;

/// <summary>The address chosen as a node's IP, and why (printed, so a surprising choice is visible).</summary>
public sealed record NodeAddress(IPAddress Address, bool InNodeCidr, string Reason)
{
    /// <summary>
    /// The node IP among a VM's addresses: the one inside the lab's node network (<c>network.nodeCidr</c>) if any; otherwise
    /// the first Multipass lists (its primary address), with a reason that says the node CIDR did not match.
    /// </summary>
    public static NodeAddress Choose(MultipassInstance instance, string? nodeCidr)
    {
        if (instance.IPv4.IsEmpty && instance.State is "Stopped" or "Suspended")
            throw new MultipassException($"VM '{instance.Name}' is {instance.State.ToLowerInvariant()}, so it has no address",
                $"start it (multipass start {instance.Name}), then run pulumi again");
        if (instance.IPv4.IsEmpty)
            throw new MultipassException($"VM '{instance.Name}' has no IPv4 address (state: {instance.State})",
                $"check it with 'multipass info {instance.Name}'; if it stays without an address, restart Multipass " +
                "(Linux: 'sudo snap restart multipass') and check that no VPN or firewall blocks its network");
        if (nodeCidr is not null && IPNetwork2.TryParse(nodeCidr, out var network))
        {
            var inside = instance.IPv4.FirstOrDefault(network.Contains);
            if (inside is not null)
                return new NodeAddress(inside, true, $"{inside} is in network.nodeCidr {nodeCidr}");
        }
        var first = instance.IPv4[0];
        return new NodeAddress(first, false,
            $"none of {instance.Name}'s addresses ({string.Join(", ", instance.IPv4)}) is in network.nodeCidr {nodeCidr ?? "(unset)"}; " +
            $"using the first, {first}. Set network.nodeCidr to Multipass's network to make this explicit: " +
            $"pulumi config set --path 'network.nodeCidr' {SuggestCidr(first)}");
    }

    private static string SuggestCidr(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return $"{bytes[0]}.{bytes[1]}.{bytes[2]}.0/24";
    }
}
