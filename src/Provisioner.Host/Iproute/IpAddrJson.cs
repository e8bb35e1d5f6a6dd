using System.Text.Json;

namespace Provisioner.Host.Iproute;

/// <summary>One IPv4 address of a link as <c>ip -j addr show</c> lists it.</summary>
public sealed record IpAddress4(string Local, int PrefixLength, string? Label)
{
    public string Cidr => $"{Local}/{PrefixLength}";
}

/// <summary>
/// One link of <c>ip -j [-d] addr show</c>: its name, flags, MTU, master, MAC, kind and (with <c>-d</c>) the kind's
/// data (e.g. a VXLAN device's <c>id</c>, <c>local</c>, <c>port</c>), and its IPv4 addresses.
/// </summary>
public sealed record IpLink(string Name, IReadOnlyList<string> Flags, int Mtu, string? Master, string? HardwareAddress, string? Kind,
    JsonElement? KindData, IReadOnlyList<IpAddress4> Ipv4)
{
    public bool Up => Flags.Contains("UP");
}

/// <summary>The one parser of <c>ip -j addr show</c> output.</summary>
public static class IpAddrJson
{
    /// <summary>Parses the JSON text; empty text (a link that does not exist, with <c>dev</c>) is no links.</summary>
    public static IReadOnlyList<IpLink> Parse(string json)
    {
        if (json.Trim().Length == 0)
            return [];
        using var document = JsonDocument.Parse(json);
        return Parse(document.RootElement);
    }

    /// <summary>Parses the JSON array (e.g. one value of an <c>ip -j -batch</c> output).</summary>
    public static IReadOnlyList<IpLink> Parse(JsonElement links) => [.. links.EnumerateArray().Select(Link)];

    private static IpLink Link(JsonElement link)
    {
        var info = link.TryGetProperty("linkinfo", out var i) ? i : (JsonElement?)null;
        return new IpLink(
            link.TryGetProperty("ifname", out var name) ? name.GetString()! : "", // absent when a label filter matched no address
            link.TryGetProperty("flags", out var flags) ? [.. flags.EnumerateArray().Select(f => f.GetString()!)] : [],
            link.TryGetProperty("mtu", out var mtu) ? mtu.GetInt32() : 0,
            link.TryGetProperty("master", out var master) ? master.GetString() : null,
            link.TryGetProperty("address", out var mac) ? mac.GetString() : null,
            info is { } k && k.TryGetProperty("info_kind", out var kind) ? kind.GetString() : null,
            info is { } d && d.TryGetProperty("info_data", out var data) ? data.Clone() : null,
            link.TryGetProperty("addr_info", out var addresses)
                ? [.. addresses.EnumerateArray().Where(a => a.TryGetProperty("family", out var family) && family.GetString() == "inet")
                    .Select(a => new IpAddress4(a.GetProperty("local").GetString()!, a.GetProperty("prefixlen").GetInt32(),
                        a.TryGetProperty("label", out var label) ? label.GetString() : null))]
                : []);
    }
}
