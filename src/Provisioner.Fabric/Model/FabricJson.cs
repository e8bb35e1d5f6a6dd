using System.Text.Json;
using System.Text.Json.Serialization;

namespace Provisioner.Fabric.Model;

/// <summary>
/// The JSON form of a node's desired fabric (what the Pulumi program copies to a VM for <c>netlab node fabric apply</c>).
/// Source-generated: no reflection, AOT-safe.
/// </summary>
public static class FabricJson
{
    public static string Serialize(NodeFabric fabric) => JsonSerializer.Serialize(fabric, FabricJsonContext.Default.NodeFabric);

    /// <summary>Reads a desired fabric; a malformed or incomplete document raises <see cref="FabricException"/> saying what is wrong.</summary>
    public static NodeFabric Deserialize(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, FabricJsonContext.Default.NodeFabric)
                ?? throw new FabricException("the fabric file is empty (null); write it with FabricJson.Serialize");
        }
        catch (JsonException e)
        {
            throw new FabricException($"the fabric file is not a valid node fabric: {e.Message}", e);
        }
    }

    public static NodeFabric Load(string path) => Deserialize(File.ReadAllText(path));

    public static void Save(NodeFabric fabric, string path) => File.WriteAllText(path, Serialize(fabric));
}

[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(NodeFabric))]
internal sealed partial class FabricJsonContext : JsonSerializerContext;
