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
    public static YamlValue? Parse(string text) => Parse(text, null);

    /// <summary>As <see cref="Parse(string)"/>, noting in <paramref name="layout"/> where the lists two levels down lie.</summary>
    public static YamlValue? Parse(string text, YamlLayout? layout)
    {
        var parser = new Parser(new StringReader(text));
        try
        {
            parser.Consume<StreamStart>();
            YamlValue? first = null;
            while (parser.TryConsume<DocumentStart>(out _))
            {
                var root = Read(parser, new Dictionary<string, YamlValue>(StringComparer.Ordinal), layout, 0);
                parser.Consume<DocumentEnd>();
                first ??= root;
                if (layout is not null)
                    layout.Documents++;
            }
            parser.Consume<StreamEnd>();
            return first;
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner throws this, not a YamlException, on some malformed input (an unclosed `{` followed
            // by a line indented less, for one): report it as the YAML error it is, at the last place that parsed
            var at = parser.Current?.End ?? Mark.Empty;
            throw new YamlException(at, at, "the YAML parser could not read on from here (an unclosed '{' or '[' above?)", e);
        }
    }

    private static YamlValue Read(IParser parser, Dictionary<string, YamlValue> anchors, YamlLayout? layout, int depth)
    {
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (layout is not null)
                layout.Anchored = true;
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
            if (layout is not null && !scalar.Tag.IsEmpty)
                layout.Anchored = true;
        }
        else if (parser.TryConsume<SequenceStart>(out var sequence))
        {
            var items = new List<YamlValue>();
            var lines = layout is not null && depth == layout.ListDepth ? new List<int>() : null;
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                lines?.Add((int)parser.Current!.Start.Line - 1);
                items.Add(Read(parser, anchors, layout, depth + 1));
            }
            value = new YamlList(items);
            anchor = sequence.Anchor;
            if (layout is not null && !sequence.Tag.IsEmpty)
                layout.Anchored = true;
            if (lines is not null)
                layout!.Lists[(YamlList)value] = new ListLayout(sequence.Style == SequenceStyle.Block, (int)sequence.Start.Column - 1, [.. lines]);
        }
        else if (parser.TryConsume<MappingStart>(out var mapping))
        {
            var entries = new List<KeyValuePair<string?, YamlValue>>();
            HashSet<string>? keys = null; // only for a large mapping; a small one is scanned
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyStart = parser.Current!;
                var key = (Read(parser, anchors, layout, depth + 1) as YamlScalar)?.Value;
                if (key is not null && entries.Count >= 16)
                    keys ??= [.. entries.Select(e => e.Key).OfType<string>()];
                if (key is not null && (keys is null ? entries.Exists(e => e.Key == key) : !keys.Add(key)))
                    throw new YamlException(keyStart.Start, keyStart.End, $"Duplicate key '{key}'");
                entries.Add(new(key, Read(parser, anchors, layout, depth + 1)));
            }
            value = new YamlMap(entries);
            anchor = mapping.Anchor;
            if (layout is not null && !mapping.Tag.IsEmpty)
                layout.Anchored = true;
        }
        else
        {
            throw new YamlException(start.Start, start.End, $"unexpected {start.GetType().Name} in the YAML stream");
        }
        if (!anchor.IsEmpty)
        {
            anchors[anchor.Value] = value;
            if (layout is not null)
                layout.Anchored = true;
        }
        return value;
    }
}

/// <summary>
/// What <see cref="StackEdit"/> needs to know of a parse: whether anything could tie one list item to another (an
/// anchor, an alias, a tag), how many documents there were, and for each list two levels down (a config key's value)
/// its style, the column of its first token and the line (0-based) where each item's first token is.
/// </summary>
internal sealed class YamlLayout(int listDepth = 2)
{
    public int ListDepth => listDepth;
    public bool Anchored { get; set; }
    public int Documents { get; set; }
    public Dictionary<YamlList, ListLayout> Lists { get; } = new(ReferenceEqualityComparer.Instance);
}

internal sealed record ListLayout(bool Block, int Column, int[] ItemLines);
