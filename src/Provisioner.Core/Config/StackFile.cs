using Provisioner.Core.Config.Cache;
using Provisioner.Core.Model;
using Provisioner.Core.Validation;
using YamlDotNet.Core;

namespace Provisioner.Core.Config;

/// <summary>
/// Loads a Pulumi stack file (<c>Pulumi.&lt;stack&gt;.yaml</c>) where no Pulumi engine runs (the CLI, the netns
/// backend): the <c>config:</c> section's <c>netlab:*</c> keys, read exactly as <c>infra/</c> reads them from Pulumi.
/// </summary>
public static class StackFile
{
    public const string DefaultPath = "Pulumi.dev.yaml";

    /// <summary>Loads, reads and validates a stack file; throws <see cref="LabConfigException"/> with every problem.</summary>
    public static LabConfig Load(string path)
    {
        if (!File.Exists(path))
            throw new LabConfigException([new ConfigProblem("--stack", path, "no such stack file",
                "pass --stack Pulumi.<stack>.yaml, or run from the directory that holds Pulumi.dev.yaml")]);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>The stack's name from its file name: <c>Pulumi.dev.yaml</c> is stack <c>dev</c>.</summary>
    public static string? StackName(string path)
    {
        var file = Path.GetFileName(path);
        return file.StartsWith("Pulumi.", StringComparison.Ordinal) && file.EndsWith(".yaml", StringComparison.Ordinal) && file.Length > 12
            ? file[7..^5] : null;
    }

    public static LabConfig Parse(string yaml, string source = "stack") => Parse(yaml, source, out _);

    /// <summary>As <see cref="Parse(string, string)"/>, with where the <c>netlab:services</c> entries lie (null when nowhere to note).</summary>
    internal static LabConfig Parse(string yaml, string source, out StackLayout? layout)
    {
        YamlValue? root;
        var parsed = new YamlLayout();
        layout = null;
        try
        {
            root = Diagnostics.PhaseTimer.Time("stack: parse the YAML", () => YamlTree.Parse(yaml, parsed));
        }
        catch (YamlException e)
        {
            throw new LabConfigException([new ConfigProblem(source, null, $"is not valid YAML at line {e.Start.Line}: {e.Message.TrimEnd('.')}", "fix the YAML syntax")]);
        }
        if (root is not YamlMap mapping || mapping.Get("config") is not YamlMap config)
            throw new LabConfigException([new ConfigProblem(source, null, "has no 'config:' section", "start from Pulumi.dev.yaml in the repository")]);

        var values = new Dictionary<string, YamlValue>(StringComparer.Ordinal);
        var problems = new List<ConfigProblem>();
        foreach (var (keyOrNull, value) in config.Entries)
        {
            var key = keyOrNull ?? "";
            var prefix = ConfigKeys.Namespace + ":";
            if (!key.StartsWith(prefix, StringComparison.Ordinal))
                continue; // other providers' keys (e.g. command:) are not ours
            var bare = key[prefix.Length..];
            if (ConfigKeys.All.Contains(bare))
                values[bare] = value;
        }
        problems.AddRange(ConfigKeys.Unknown(config.Entries.Select(e => e.Key).OfType<string>()));
        var (lab, readProblems) = Diagnostics.PhaseTimer.Time("stack: read the config", () => LabConfigReader.Read(values, StackName(source)));
        problems.AddRange(Diagnostics.PhaseTimer.Time("stack: validate", () => LabValidator.Validate(lab, readProblems)));
        if (problems.Count > 0)
            throw new LabConfigException(problems);
        if (!parsed.Anchored && parsed.Documents == 1 && values.GetValueOrDefault(ConfigKeys.Services) is YamlList services
            && parsed.Lists.TryGetValue(services, out var list) && list.Block && list.ItemLines.Length == lab.Services.Length)
            layout = new StackLayout(list.Column, list.ItemLines);
        return lab;
    }
}
