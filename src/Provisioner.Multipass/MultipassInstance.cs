using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Provisioner.Multipass;

/// <summary>One VM as <c>multipass info NAME --format json</c> describes it.</summary>
/// <param name="State">Multipass's state name: <c>Running</c>, <c>Stopped</c>, <c>Starting</c>, <c>Deleted</c>, ...</param>
/// <param name="IPv4">Its IPv4 addresses as Multipass lists them (the VM's own address first, then e.g. bridges inside it).</param>
/// <param name="ImageRelease">The image it was launched from, e.g. <c>24.04 LTS</c>.</param>
/// <param name="Release">The release running now, e.g. <c>Ubuntu 24.04.1 LTS</c>.</param>
public sealed record MultipassInstance(
    string Name, string State, ImmutableArray<IPAddress> IPv4, string ImageRelease, string Release, string ImageHash,
    int? CpuCount, long? MemoryTotal, long? MemoryUsed, long? DiskTotal, long? DiskUsed)
{
    public bool IsRunning => State == "Running";

    /// <summary>Parses the JSON of <c>multipass info NAME --format json</c> (shape: <c>{"errors": [], "info": {NAME: {...}}}</c>).</summary>
    public static ImmutableArray<MultipassInstance> ParseInfo(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (!document.RootElement.TryGetProperty("info", out var info) || info.ValueKind != JsonValueKind.Object)
            throw new FormatException("multipass info output has no 'info' object");
        return [.. info.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object).Select(p => Parse(p.Name, p.Value))];
    }

    private static MultipassInstance Parse(string name, JsonElement e)
    {
        var disk = e.TryGetProperty("disks", out var disks) && disks.ValueKind == JsonValueKind.Object
            ? disks.EnumerateObject().Select(d => d.Value).FirstOrDefault() : default;
        var memory = e.TryGetProperty("memory", out var m) ? m : default;
        return new MultipassInstance(
            name,
            String(e, "state") ?? "Unknown",
            [.. Addresses(e)],
            String(e, "image_release") ?? "",
            String(e, "release") ?? "",
            String(e, "image_hash") ?? "",
            (int?)Number(e, "cpu_count"),
            Number(memory, "total"), Number(memory, "used"), Number(disk, "total"), Number(disk, "used"));
    }

    private static IEnumerable<IPAddress> Addresses(JsonElement e)
    {
        if (!e.TryGetProperty("ipv4", out var list) || list.ValueKind != JsonValueKind.Array)
            yield break;
        foreach (var item in list.EnumerateArray())
        {
            if (IPAddress.TryParse(item.GetString(), out var address) && address.AddressFamily == AddressFamily.InterNetwork)
                yield return address;
        }
    }

    private static string? String(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>Multipass writes some numbers as JSON numbers (memory) and some as strings (cpu_count, disk sizes).</summary>
    private static long? Number(JsonElement e, string name)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out var v))
            return null;
        return v.ValueKind switch
        {
            JsonValueKind.Number when v.TryGetInt64(out var n) => n,
            JsonValueKind.String when long.TryParse(v.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
            _ => null,
        };
    }
}
