using System.Reflection;

namespace Provisioner.Rendering.Templates;

/// <summary>Where template text comes from: the templates embedded in this assembly, a directory, or both layered.</summary>
public interface ITemplateSource
{
    /// <summary>The text of a template by its path relative to <c>templates/</c> (e.g. <c>scripts/node-ip.sh.sbn</c>), or null.</summary>
    string? Read(string path);

    /// <summary>A human-readable location of a template, for diagnostics.</summary>
    string Describe(string path);
}

/// <summary>The templates compiled into this assembly (templates/** as embedded resources).</summary>
public sealed class EmbeddedTemplateSource : ITemplateSource
{
    private const string Prefix = "templates/";
    private static readonly Assembly Assembly = typeof(EmbeddedTemplateSource).Assembly;

    public static EmbeddedTemplateSource Instance { get; } = new();

    public string? Read(string path)
    {
        using var stream = Assembly.GetManifestResourceStream(Prefix + Normalize(path));
        if (stream is null)
            return null;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public string Describe(string path) => Prefix + Normalize(path);

    /// <summary>Every embedded template path, relative to <c>templates/</c>.</summary>
    public static IReadOnlyList<string> All() =>
        [.. Assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Select(n => n[Prefix.Length..]).Order(StringComparer.Ordinal)];

    internal static string Normalize(string path) => path.Replace('\\', '/').TrimStart('/');
}

/// <summary>Templates read from a directory (a learner's or a test's override of <c>templates/</c>).</summary>
public sealed class DirectoryTemplateSource(string root) : ITemplateSource
{
    public string Root { get; } = Path.GetFullPath(root);

    public string? Read(string path)
    {
        var file = Path.Combine(Root, EmbeddedTemplateSource.Normalize(path));
        return File.Exists(file) ? File.ReadAllText(file) : null;
    }

    public string Describe(string path) => Path.Combine(Root, EmbeddedTemplateSource.Normalize(path));
}

/// <summary>The first source that has a template wins: an override directory in front of the embedded templates.</summary>
public sealed class LayeredTemplateSource(params ITemplateSource[] layers) : ITemplateSource
{
    public string? Read(string path) => layers.Select(l => l.Read(path)).FirstOrDefault(t => t is not null);

    public string Describe(string path) =>
        layers.FirstOrDefault(l => l.Read(path) is not null)?.Describe(path) ?? layers[0].Describe(path);
}
