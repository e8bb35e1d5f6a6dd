using System.Text.Json;
using System.Text.Json.Serialization;

namespace Provisioner.Netns;

/// <summary>
/// What a lab has created, kept in its state directory so that <c>netlab down</c> removes it even after the stack
/// changed, a crash, or a half-finished <c>up</c> — and removes nothing that another lab or the host owns.
/// Names are recorded before they are created.
/// </summary>
public sealed record LabState(IReadOnlyList<string> Namespaces)
{
    public static LabState Load(LabLayout layout)
    {
        if (!File.Exists(layout.StateFile))
            return new LabState([]);
        return JsonSerializer.Deserialize(File.ReadAllText(layout.StateFile), LabStateJson.Default.LabState) ?? new LabState([]);
    }

    /// <summary>Adds names to the recorded set, writing atomically (temp file + rename).</summary>
    public static void Record(LabLayout layout, IEnumerable<string> namespaces)
    {
        var state = Load(layout);
        var merged = new LabState([.. state.Namespaces.Union(namespaces, StringComparer.Ordinal).Order(StringComparer.Ordinal)]);
        Directory.CreateDirectory(layout.Directory);
        var temp = layout.StateFile + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(merged, LabStateJson.Default.LabState));
        File.Move(temp, layout.StateFile, overwrite: true);
    }
}

[JsonSerializable(typeof(LabState))]
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class LabStateJson : JsonSerializerContext;
