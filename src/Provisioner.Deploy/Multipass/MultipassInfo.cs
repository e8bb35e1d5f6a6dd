using System.Net;
using System.Text.Json;

namespace Provisioner.Deploy.Multipass;

/// <summary>
/// Reads a VM's address out of <c>multipass info --format json VM</c>:
/// <c>{"errors": [], "info": {"VM": {"ipv4": ["192.168.64.5", ...], "state": "Running", ...}}}</c>.
/// </summary>
public static class MultipassInfo
{
    /// <summary>The VM's IPv4 address inside the node network (a VM may also have a NAT address, which must not be used).</summary>
    public static string AddressIn(string json, string vm, IPNetwork2 nodeCidr)
    {
        var addresses = Addresses(json, vm);
        var inside = addresses.FirstOrDefault(a => IPAddress.TryParse(a, out var ip) && nodeCidr.Contains(ip));
        return inside ?? throw new InvalidOperationException(addresses.Count == 0
            ? $"VM {vm} has no IPv4 address yet (multipass info shows none). Fix: check 'multipass info {vm}'; restart it with 'multipass restart {vm}'"
            : $"VM {vm} has no address in network.nodeCidr {nodeCidr} (it has {string.Join(", ", addresses)}). " +
              $"Fix: set network.nodeCidr to the Multipass network, e.g. pulumi config set --path 'network.nodeCidr' {Network(addresses[0])}");
    }

    /// <summary>Every IPv4 address multipass lists for the VM.</summary>
    public static IReadOnlyList<string> Addresses(string json, string vm)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (!document.RootElement.TryGetProperty("info", out var info) || !info.TryGetProperty(vm, out var instance))
                throw new InvalidOperationException($"multipass info has no entry for VM {vm}. Fix: check 'multipass list'");
            return instance.TryGetProperty("ipv4", out var ipv4) && ipv4.ValueKind == JsonValueKind.Array
                ? [.. ipv4.EnumerateArray().Select(a => a.GetString() ?? "").Where(a => a.Length > 0)]
                : [];
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"multipass info for VM {vm} is not JSON ({e.Message})", e);
        }
    }

    private static string Network(string address) =>
        IPAddress.TryParse(address, out var ip) ? IPNetwork2.Parse(ip.ToString(), 24).ToString() : "10.1.2.0/24";
}
