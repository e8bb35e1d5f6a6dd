using System.Globalization;
using Provisioner.Core.Validation;

namespace Provisioner.Core.Config;

/// <summary>
/// Reads values out of a YAML mapping by key, collecting a <see cref="ConfigProblem"/> for every missing, unknown
/// or malformed entry instead of stopping at the first. Paths are written as Pulumi's <c>--path</c> takes them.
/// </summary>
internal sealed class YamlReader(YamlMap node, string path, List<ConfigProblem> problems)
{
    private readonly List<string> _read = []; // a dozen keys at most: a list is cheaper than a set

    public string Path => path;
    public List<ConfigProblem> Problems => problems;

    public string Child(string key) => path.Length == 0 ? key : $"{path}.{key}";

    public YamlValue? Node(string key)
    {
        if (!_read.Contains(key))
            _read.Add(key);
        return node.Get(key);
    }

    public string? String(string key)
    {
        var value = Node(key);
        if (value is null)
            return null;
        if (value is YamlScalar scalar)
            return scalar.Value;
        Problem(key, null, "must be a single value, not a list or mapping", "write it as key: value");
        return null;
    }

    public string RequiredString(string key, string example)
    {
        var value = String(key);
        if (string.IsNullOrWhiteSpace(value))
            Problem(key, null, "is required", ConfigKeys.SetCommand(Child(key), example));
        return value ?? "";
    }

    public int Int(string key, int fallback, string example)
    {
        var text = String(key);
        if (text is null)
            return fallback;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            return value;
        Problem(key, text, "must be a whole number", ConfigKeys.SetCommand(Child(key), example));
        return fallback;
    }

    public bool Bool(string key, bool fallback)
    {
        var text = String(key);
        if (text is null)
            return fallback;
        if (bool.TryParse(text, out var value))
            return value;
        Problem(key, text, "must be true or false", ConfigKeys.SetCommand(Child(key), fallback ? "true" : "false"));
        return fallback;
    }

    /// <summary>An enum written in kebab-case (<c>ovs-vxlan</c>) or as its C# name (<c>OvsVxlan</c>).</summary>
    public T Enum<T>(string key, T fallback) where T : struct, System.Enum
    {
        var text = String(key);
        if (text is null)
            return fallback;
        var normalized = text.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
        // Enum.TryParse also takes numbers and comma-separated flag lists ("ovs-vxlan,routed" is Routed): refuse both.
        if (!normalized.Contains(',', StringComparison.Ordinal) && !int.TryParse(normalized, out _)
            && System.Enum.TryParse<T>(normalized, ignoreCase: true, out var value) && System.Enum.IsDefined(value))
            return value;
        var choices = string.Join(", ", System.Enum.GetNames<T>().Select(Spelling<T>));
        Problem(key, text, $"is not one of: {choices}", ConfigKeys.SetCommand(Child(key), Spelling<T>(fallback.ToString())));
        return fallback;
    }

    public YamlReader? Mapping(string key)
    {
        var value = Node(key);
        if (value is null)
            return null;
        if (value is YamlMap mapping)
            return new YamlReader(mapping, Child(key), problems);
        Problem(key, null, "must be a mapping of keys to values", $"see {Child(key)} in the README's config reference");
        return null;
    }

    public IEnumerable<YamlReader> Sequence(string key)
    {
        var value = Node(key);
        if (value is null)
            yield break;
        if (value is not YamlList sequence)
        {
            Problem(key, null, "must be a list", $"see {Child(key)} in the README's config reference");
            yield break;
        }
        foreach (var item in Items(sequence, key, 0))
            yield return item;
    }

    /// <summary>The entries of a list read as <see cref="Sequence"/> reads them, the first at index <paramref name="first"/>.</summary>
    public IEnumerable<YamlReader> Items(YamlList sequence, string key, int first)
    {
        var index = first;
        foreach (var item in sequence.Items)
        {
            var itemPath = $"{Child(key)}[{index++}]";
            if (item is YamlMap mapping)
            {
                yield return new YamlReader(mapping, itemPath, problems);
                continue;
            }
            problems.Add(new ConfigProblem(itemPath, (item as YamlScalar)?.Value, "must be a mapping", "write each entry as '- name: ...'"));
            // An empty entry in its place (its own complaints dropped) keeps the paths of the entries after it right.
            yield return new YamlReader(YamlMap.Empty, itemPath, []);
        }
    }

    public IReadOnlyList<string> Strings(string key)
    {
        var value = Node(key);
        if (value is null)
            return [];
        if (value is YamlList sequence && sequence.Items.All(c => c is YamlScalar))
            return sequence.Items.Select(c => ((YamlScalar)c).Value).ToList();
        Problem(key, null, "must be a list of values", $"write it as {key}: [a, b]");
        return [];
    }

    public IReadOnlyDictionary<string, string> StringMap(string key)
    {
        var value = Node(key);
        if (value is null)
            return new Dictionary<string, string>();
        if (value is YamlMap mapping && mapping.Entries.All(c => c.Key is not null && c.Value is YamlScalar))
            return mapping.Entries.ToDictionary(c => c.Key!, c => ((YamlScalar)c.Value).Value, StringComparer.Ordinal);
        Problem(key, null, "must be a mapping of names to values", $"write it as {key}: {{ app: web }}");
        return new Dictionary<string, string>();
    }

    /// <summary>Reports every key of the mapping that nothing read: a misspelling must not be ignored.</summary>
    public void RejectUnknownKeys()
    {
        foreach (var key in node.Entries.Select(e => e.Key).OfType<string>())
        {
            if (!_read.Contains(key))
                problems.Add(new ConfigProblem(Child(key), null, "is not a known key",
                    $"remove it or check its spelling; known keys here: {string.Join(", ", _read.Order(StringComparer.Ordinal))}"));
        }
    }

    public void Problem(string key, string? value, string message, string fix) =>
        problems.Add(new ConfigProblem(Child(key), value, message, fix));

    /// <summary>Kubernetes API values keep the API's spelling (<c>ClusterIP</c>, <c>TCP</c>); netlab's own are kebab-case.</summary>
    private static string Spelling<T>(string name) where T : struct, System.Enum =>
        typeof(T) == typeof(Model.ServiceType) || typeof(T) == typeof(Model.TransportProtocol)
        || typeof(T) == typeof(Model.SessionAffinity) || typeof(T) == typeof(Model.TrafficPolicy)
        || typeof(T) == typeof(Model.PolicyType) || typeof(T) == typeof(Model.SelectorOperator) ? name : Kebab(name);

    internal static string Kebab(string pascal) =>
        string.Concat(pascal.Select((c, i) => i > 0 && char.IsUpper(c) && !char.IsUpper(pascal[i - 1]) ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
