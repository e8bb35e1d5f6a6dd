using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Provisioner.Core.Config;

/// <summary>A YAML value as the config reader reads it: a scalar's text, a mapping in document order, or a list.</summary>
internal abstract class YamlValue;

internal sealed class YamlScalar(string value) : YamlValue
{
    public string Value => value;
}

/// <summary>A mapping's entries in document order; <c>Key</c> is null for a key that is not a scalar (nothing reads those).</summary>
internal sealed class YamlMap(List<KeyValuePair<string?, YamlValue>> entries) : YamlValue
{
    public static readonly YamlMap Empty = new([]);

    public IReadOnlyList<KeyValuePair<string?, YamlValue>> Entries => entries;

    /// <summary>The value of a key; a linear scan, since the mappings read by key hold a dozen keys at most.</summary>
    public YamlValue? Get(string key)
    {
        foreach (var (k, v) in entries)
        {
            if (k == key)
                return v;
        }
        return null;
    }
}

internal sealed class YamlList(List<YamlValue> items) : YamlValue
{
    public IReadOnlyList<YamlValue> Items => items;
}

/// <summary>
/// Builds <see cref="YamlValue"/>s straight from YamlDotNet's parser events. YamlDotNet's representation model
/// (<c>YamlStream</c>) builds the same tree with a hashed node per key and value, which was half the read of a
/// 10k-service stack. What it refused is still refused, with its line: a duplicated key, an alias to no anchor.
/// </summary>
internal static class YamlTree
{
    /// <summary>The first document's root (every document is parsed, so an error anywhere is reported); null if none.</summary>
    public static YamlValue? Parse(string text)
    {
        var parser = new Parser(new StringReader(text));
        parser.Consume<StreamStart>();
        YamlValue? first = null;
        while (parser.TryConsume<DocumentStart>(out _))
        {
            var root = Read(parser, new Dictionary<string, YamlValue>(StringComparer.Ordinal));
            parser.Consume<DocumentEnd>();
            first ??= root;
        }
        parser.Consume<StreamEnd>();
        return first;
    }

    private static YamlValue Read(IParser parser, Dictionary<string, YamlValue> anchors)
    {
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            return anchors.TryGetValue(alias.Value.Value, out var target) ? target
                : throw new AnchorNotFoundException(alias.Start, alias.End, $"Alias ${alias.Value} cannot precede anchor declaration");
        }
        var start = parser.Current ?? throw new YamlException("unexpected end of the YAML stream");
        YamlValue value;
        AnchorName anchor;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            value = new YamlScalar(scalar.Value);
            anchor = scalar.Anchor;
        }
        else if (parser.TryConsume<SequenceStart>(out var sequence))
        {
            var items = new List<YamlValue>();
            while (!parser.TryConsume<SequenceEnd>(out _))
                items.Add(Read(parser, anchors));
            value = new YamlList(items);
            anchor = sequence.Anchor;
        }
        else if (parser.TryConsume<MappingStart>(out var mapping))
        {
            var entries = new List<KeyValuePair<string?, YamlValue>>();
            HashSet<string>? keys = null; // only for a large mapping; a small one is scanned
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyStart = parser.Current!;
                var key = (Read(parser, anchors) as YamlScalar)?.Value;
                if (key is not null && entries.Count >= 16)
                    keys ??= [.. entries.Select(e => e.Key).OfType<string>()];
                if (key is not null && (keys is null ? entries.Exists(e => e.Key == key) : !keys.Add(key)))
                    throw new YamlException(keyStart.Start, keyStart.End, $"Duplicate key '{key}'");
                entries.Add(new(key, Read(parser, anchors)));
            }
            value = new YamlMap(entries);
            anchor = mapping.Anchor;
        }
        else
        {
            throw new YamlException(start.Start, start.End, $"unexpected {start.GetType().Name} in the YAML stream");
        }
        if (!anchor.IsEmpty)
            anchors[anchor.Value] = value;
        return value;
    }
}
