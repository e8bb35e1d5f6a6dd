using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Provisioner.Core.Model;

namespace Provisioner.Core.Config.Cache;

/// <summary>
/// The exact JSON form of a <see cref="LabConfig"/> (source-generated: no reflection at run time). Every init property is
/// written, computed ones (get-only) are not; nullable annotations and required members are enforced on the way back.
/// </summary>
[JsonSourceGenerationOptions(
    IgnoreReadOnlyProperties = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    Converters = [typeof(OrdinalMapConverter)])]
[JsonSerializable(typeof(LabConfig))]
internal sealed partial class StackCacheJson : JsonSerializerContext;

/// <summary>
/// Labels and selectors keep their key order's comparer: the reader's are ordinal (a JSON object here), the model's
/// empty defaults use the default comparer (a JSON array of pairs). The built-in converter would always use the latter.
/// </summary>
internal sealed class OrdinalMapConverter : JsonConverter<ImmutableSortedDictionary<string, string>>
{
    public override ImmutableSortedDictionary<string, string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var ordinal = reader.TokenType == JsonTokenType.StartObject;
        if (!ordinal && reader.TokenType != JsonTokenType.StartArray)
            throw new JsonException("a map must be a JSON object or array");
        var map = ImmutableSortedDictionary.CreateBuilder<string, string>(ordinal ? StringComparer.Ordinal : null);
        while (reader.Read() && reader.TokenType is JsonTokenType.PropertyName or JsonTokenType.StartArray)
        {
            var key = ordinal ? reader.GetString()! : Next(ref reader);
            map.Add(key, Next(ref reader));
            if (!ordinal && (!reader.Read() || reader.TokenType != JsonTokenType.EndArray))
                throw new JsonException("a pair must end after its value");
        }
        if (reader.TokenType != (ordinal ? JsonTokenType.EndObject : JsonTokenType.EndArray))
            throw new JsonException("a map must end");
        return map.ToImmutable();
    }

    private static string Next(ref Utf8JsonReader reader) =>
        reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new JsonException("a map's keys and values are strings");

    public override void Write(Utf8JsonWriter writer, ImmutableSortedDictionary<string, string> value, JsonSerializerOptions options)
    {
        var ordinal = ReferenceEquals(value.KeyComparer, StringComparer.Ordinal);
        if (!ordinal && !ReferenceEquals(value.KeyComparer, Comparer<string>.Default))
            throw new NotSupportedException("a map with another comparer is not cached"); // the cache then stores nothing
        if (ordinal)
            writer.WriteStartObject();
        else
            writer.WriteStartArray();
        foreach (var (key, text) in value)
        {
            if (ordinal)
            {
                writer.WriteString(key, text);
                continue;
            }
            writer.WriteStartArray();
            writer.WriteStringValue(key);
            writer.WriteStringValue(text);
            writer.WriteEndArray();
        }
        if (ordinal)
            writer.WriteEndObject();
        else
            writer.WriteEndArray();
    }
}
