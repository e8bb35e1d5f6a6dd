using System.Text.Json.Serialization;

namespace Provisioner.Cni.Config;

// The JSON shapes netlab-cni reads from stdin and writes to stdout, exactly as the CNI spec names them.
// Bound with System.Text.Json source generation (CniJsonContext): no reflection, so NativeAOT keeps them.

/// <summary>The plugin configuration on stdin, with what the runtime injects (prevResult, valid attachments).</summary>
internal sealed class NetConfJson
{
    public string? CniVersion { get; set; }
    public string? Name { get; set; }
    public string? Type { get; set; }
    public string? Mode { get; set; }
    public string? Bridge { get; set; }
    public bool? IsGateway { get; set; }
    public bool? HairpinMode { get; set; }
    public int? Mtu { get; set; }
    public string? OvsDb { get; set; }
    public string? Datapath { get; set; }
    public string? LogFile { get; set; }
    public IpamJson? Ipam { get; set; }
    public DnsJson? Dns { get; set; }
    public ResultJson? PrevResult { get; set; }

    [JsonPropertyName("cni.dev/valid-attachments")]
    public List<AttachmentJson>? ValidAttachments { get; set; }
}

internal sealed class IpamJson
{
    public string? Type { get; set; }
    public string? Subnet { get; set; }
    public string? Gateway { get; set; }
    public string? RangeStart { get; set; }
    public string? RangeEnd { get; set; }
    public List<string>? Reserved { get; set; }
    public List<RouteJson>? Routes { get; set; }
    public string? DataDir { get; set; }
    public System.Text.Json.JsonElement? Ranges { get; set; }
}

internal sealed class AttachmentJson
{
    [JsonPropertyName("containerID")]
    public string? ContainerId { get; set; }

    public string? Ifname { get; set; }
}

internal sealed class DnsJson
{
    public List<string>? Nameservers { get; set; }
    public string? Domain { get; set; }
    public List<string>? Search { get; set; }
    public List<string>? Options { get; set; }
}

internal sealed class RouteJson
{
    public string? Dst { get; set; }
    public string? Gw { get; set; }
}

/// <summary>A CNI result: written for ADD, read back as prevResult for CHECK and DEL.</summary>
internal sealed class ResultJson
{
    public string? CniVersion { get; set; }
    public List<InterfaceJson>? Interfaces { get; set; }
    public List<IpJson>? Ips { get; set; }
    public List<RouteJson>? Routes { get; set; }
    public DnsJson? Dns { get; set; }
}

internal sealed class InterfaceJson
{
    public string? Name { get; set; }
    public string? Mac { get; set; }
    public int? Mtu { get; set; }
    public string? Sandbox { get; set; }
}

internal sealed class IpJson
{
    public string? Version { get; set; }
    public string? Address { get; set; }
    public string? Gateway { get; set; }
    public int? Interface { get; set; }
}

internal sealed class ErrorJson
{
    public string? CniVersion { get; set; }
    public int Code { get; set; }
    public string? Msg { get; set; }
    public string? Details { get; set; }
}

internal sealed class VersionJson
{
    public string? CniVersion { get; set; }
    public List<string>? SupportedVersions { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(NetConfJson))]
[JsonSerializable(typeof(ResultJson))]
[JsonSerializable(typeof(ErrorJson))]
[JsonSerializable(typeof(VersionJson))]
internal sealed partial class CniJsonContext : JsonSerializerContext;
