using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Provisioner.Core.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Provisioner.Core.Tests.Support;

/// <summary>
/// What Pulumi's <c>Config.Get(key)</c> returns for a stack file's <c>netlab:*</c> keys: a plain value's text, or
/// compact JSON for a structured one (numbers and booleans as JSON literals, as Pulumi keeps YAML's types).
/// </summary>
internal static class PulumiConfig
{
    public static Func<string, string?> From(string stackYaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(stackYaml));
        var config = (YamlMappingNode)((YamlMappingNode)stream.Documents[0].RootNode).Children[new YamlScalarNode("config")];
        var values = config.Children
            .Where(c => ((YamlScalarNode)c.Key).Value!.StartsWith("netlab:", StringComparison.Ordinal))
            .ToDictionary(c => ((YamlScalarNode)c.Key).Value!["netlab:".Length..], c => Get(c.Value), StringComparer.Ordinal);
        return key => values.GetValueOrDefault(key);
    }

    private static string Get(YamlNode node) => node is YamlScalarNode scalar ? scalar.Value ?? "" : Json(node);

    private static string Json(YamlNode node)
    {
        var text = new StringBuilder();
        Write(text, node);
        return text.ToString();
    }

    private static void Write(StringBuilder text, YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                text.Append('{');
                text.AppendJoin(',', mapping.Children.Select(c =>
                {
                    var item = new StringBuilder(JsonSerializer.Serialize(((YamlScalarNode)c.Key).Value)).Append(':');
                    Write(item, c.Value);
                    return item.ToString();
                }));
                text.Append('}');
                break;
            case YamlSequenceNode sequence:
                text.Append('[');
                text.AppendJoin(',', sequence.Children.Select(Json));
                text.Append(']');
                break;
            case YamlScalarNode scalar:
                var value = scalar.Value ?? "";
                var literal = scalar.Style == ScalarStyle.Plain
                    && (value is "true" or "false" || double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
                text.Append(literal ? value : JsonSerializer.Serialize(value));
                break;
        }
    }

    /// <summary>A lab as JSON, for comparing two labs (records holding ImmutableArrays do not compare by value).</summary>
    public static string Snapshot(LabConfig lab) => JsonSerializer.Serialize(lab, SnapshotOptions);

    private static readonly JsonSerializerOptions SnapshotOptions = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
