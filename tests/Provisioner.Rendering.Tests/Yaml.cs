using YamlDotNet.RepresentationModel;

namespace Provisioner.Rendering.Tests;

/// <summary>Small YamlDotNet helpers: load every document of a file, walk a path of keys.</summary>
public static class Yaml
{
    public static IReadOnlyList<YamlMappingNode> Documents(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return [.. stream.Documents.Select(d => (YamlMappingNode)d.RootNode)];
    }

    public static YamlMappingNode Kind(string text, string kind) =>
        Documents(text).Single(d => Scalar(d, "kind") == kind);

    public static YamlNode? At(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out var next))
                return null;
            node = next;
        }
        return node;
    }

    public static string? Scalar(YamlNode node, params string[] path) => (At(node, path) as YamlScalarNode)?.Value;

    public static IReadOnlyList<YamlNode> Sequence(YamlNode node, params string[] path) =>
        At(node, path) is YamlSequenceNode sequence ? [.. sequence.Children] : [];

    /// <summary>A v1beta4 extra-args list (<c>[{name, value}]</c>) as a dictionary.</summary>
    public static IReadOnlyDictionary<string, string> Args(YamlNode node, params string[] path) =>
        Sequence(node, path).ToDictionary(a => Scalar(a, "name")!, a => Scalar(a, "value")!);
}
