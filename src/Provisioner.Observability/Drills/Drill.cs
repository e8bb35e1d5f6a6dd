using System.Text.Json;
using System.Text.Json.Serialization;
using Provisioner.Core.Planning;
using Provisioner.Host.Iproute;
using Provisioner.Netns;

namespace Provisioner.Observability.Drills;

/// <summary>A command run to break or to restore the lab (arguments, never a shell string).</summary>
public sealed record DrillCommand(IReadOnlyList<string> Arguments)
{
    /// <summary>What to feed the command's standard input, computed when it runs (not kept in the drill's state file).</summary>
    [JsonIgnore]
    public Func<Host.Processes.ProcessRunner, CancellationToken, Task<string>>? Stdin { get; init; }

    /// <summary>A clean-up before the break (deleting what may not be there): its failure is not the drill's.</summary>
    [JsonIgnore]
    public bool MayFail { get; init; }
}

/// <summary>
/// A failure applied to a running lab. <see cref="Symptom"/> is what the learner will observe, never what broke;
/// <see cref="Layer"/> is what <c>netlab verify</c> names (kept out of the learner's view until the drill stops).
/// </summary>
public sealed record Drill(string Name, string Symptom, string Layer, IReadOnlyList<DrillCommand> Break, IReadOnlyList<DrillCommand> Restore,
    bool UpRepairs, string Explanation);

/// <summary>The drill running in a lab, kept in its state directory so <c>netlab drill stop</c> can undo it from another process.</summary>
public sealed record ActiveDrill(Drill Drill, DateTimeOffset Started)
{
    public static string PathFor(LabLayout layout) => System.IO.Path.Combine(layout.Directory, "drill.json");

    public static ActiveDrill? Load(LabLayout layout) =>
        File.Exists(PathFor(layout)) ? JsonSerializer.Deserialize(File.ReadAllText(PathFor(layout)), DrillJson.Default.ActiveDrill) : null;

    public void Save(LabLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Directory.CreateDirectory(layout.Directory);
        File.WriteAllText(PathFor(layout), JsonSerializer.Serialize(this, DrillJson.Default.ActiveDrill));
    }

    public static void Clear(LabLayout layout) => File.Delete(PathFor(layout));
}

[JsonSerializable(typeof(ActiveDrill))]
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class DrillJson : JsonSerializerContext;
