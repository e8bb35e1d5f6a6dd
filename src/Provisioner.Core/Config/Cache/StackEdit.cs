using System.Collections.Immutable;
using System.Text;
using Provisioner.Core.Model;
using Provisioner.Core.Validation;
using YamlDotNet.Core;

namespace Provisioner.Core.Config.Cache;

/// <summary>
/// Where a stack file's <c>netlab:services</c> entries lie: a block list whose dashes are at <paramref name="Column"/>,
/// entry i starting on line <c>ItemLines[i]</c> (0-based).
/// </summary>
internal sealed record StackLayout(int Column, int[] ItemLines);

/// <summary>
/// A stack read from the previous read of the same file when the edit between the two lies inside its services list:
/// the edited entries are parsed and read alone and spliced into the previous lab, everything else is taken as it was.
/// Only a sound edit is taken; anything else is null and the file is read whole (so its problems are the reader's own):
/// <list type="bullet">
/// <item>the previous file had no anchor, alias or tag (nothing ties one entry to another) and one document;</item>
/// <item>both files are UTF-8 without a byte order mark, carriage return or U+0085/U+2028/U+2029 (lines are '\n');</item>
/// <item>the changed lines, widened to whole entries, are inside the list, and the new text there is a block list at the
/// same column: each line blank, a dash at that column, or indented past it; no character that starts an anchor,
/// alias, tag, directive, block scalar or complex key; the line after it (kept) starts the next entry, or is less
/// indented, or is the end of the file. Then the whole file parses as the previous one with those entries replaced;</item>
/// <item>the new entries read without a problem and the whole new lab validates without one (cross-references: names,
/// addresses, ports are checked across all services, as a full read does).</item>
/// </list>
/// StackEditSpecs compare every edit they make with a full read of the edited file.
/// </summary>
internal static class StackEdit
{
    private static readonly System.Buffers.SearchValues<byte> Unsafe = System.Buffers.SearchValues.Create("\r\t&*!%|>?@`"u8);

    public static (LabConfig Lab, StackLayout Layout)? Apply(byte[] old, StackLayout layout, LabConfig previous, byte[] now)
    {
        Refused = null;
        if (layout.ItemLines.Length == 0 || layout.ItemLines.Length != previous.Services.Length
            || !PlainText(old) || !PlainText(now))
            return Refuse("not plain UTF-8 lines");
        var oldLines = LineStarts(old);
        var newLines = LineStarts(now);

        // the changed bytes, as whole lines: old lines [first, past) became new lines [first, past + delta)
        var prefix = old.AsSpan().CommonPrefixLength(now);
        if (prefix == old.Length && prefix == now.Length)
            return Refuse("the same bytes"); // nothing to edit (another build's entry)
        // kept bytes cut to whole lines where they can be: the prefix back to a line's start, the suffix on to one
        prefix = old.AsSpan(0, prefix).LastIndexOf((byte)'\n') + 1;
        var suffix = Math.Min(CommonSuffixLength(old, now), Math.Min(old.Length, now.Length) - prefix);
        if (!LineStart(old, old.Length - suffix) || !LineStart(now, now.Length - suffix))
            suffix = old.AsSpan(old.Length - suffix).IndexOf((byte)'\n') is var newline and >= 0 ? suffix - newline - 1 : 0;
        var first = Count(old.AsSpan(0, prefix));
        var (oldEnd, newEnd) = (old.Length - suffix, now.Length - suffix);
        // the line holding the first kept byte is kept whole only when it starts a line in both files
        var past = Count(old.AsSpan(0, oldEnd)) + (LineStart(old, oldEnd) && LineStart(now, newEnd) ? 0 : 1);
        var delta = newLines.Length - oldLines.Length;

        // widened to the entries [k, m] they touch; the last entry ends at the first line after it that is not blank and
        // not indented past the dashes (the parser's end marks are not that line at the end of the file), or at the end
        var items = layout.ItemLines;
        var listEnd = items[^1] + 1;
        while (listEnd < oldLines.Length && Indent(Line(old, oldLines, listEnd)) is var indent && (indent < 0 || indent > layout.Column))
            listEnd++;
        var endOfFile = listEnd == oldLines.Length;
        if (first < items[0] || past > listEnd)
            return Refuse("outside the services list");
        var k = Entry(items, first);
        if (k > 0 && first == items[k] && !StartsEntry(now, newLines, items[k], layout.Column))
            k--; // lines added to the end of the entry before
        var m = Entry(items, past - 1);
        var regionEnd = m + 1 < items.Length ? items[m + 1] : listEnd;
        if (!StartsEntry(old, oldLines, items[k], layout.Column) || (m + 1 < items.Length && !StartsEntry(old, oldLines, items[m + 1], layout.Column)))
            return Refuse("entries not where the layout says");
        if (m + 1 == items.Length && !endOfFile && !LessIndented(old, oldLines, listEnd, layout.Column))
            return Refuse("the list's end is not less indented");
        var fragment = Slice(now, newLines, items[k], regionEnd + delta);
        if (fragment.Length > 0 && !StartsEntry(now, newLines, items[k], layout.Column))
            return Refuse("the edit does not start an entry");
        if (fragment.IndexOfAny(Unsafe) >= 0 || !Indented(fragment, layout.Column))
            return Refuse("unsafe characters or indentation");

        // the old entries there, read alone, must be the previous lab's: a layout that lies (a bug) is never spliced by
        if (ReadAlone(Slice(old, oldLines, items[k], regionEnd), k) is not { } was || !SameServices(was, previous.Services[k..(m + 1)]))
            return Refuse("the old entries are not the previous lab's");

        // the new entries, parsed and read alone
        var parsed = new YamlLayout(listDepth: 0);
        YamlValue? root;
        try
        {
            root = fragment.Length == 0 ? new YamlList([]) : YamlTree.Parse(Encoding.UTF8.GetString(fragment), parsed);
        }
        catch (YamlException)
        {
            return Refuse("not valid YAML alone"); // the whole file's read says where
        }
        if (root is not YamlList list)
            return Refuse("not a list alone");
        var fragmentLines = System.Array.Empty<int>();
        if (fragment.Length > 0)
        {
            if (parsed.Anchored || parsed.Documents != 1 || !parsed.Lists.TryGetValue(list, out var listLayout)
                || !listLayout.Block || listLayout.Column != layout.Column)
                return Refuse("not a plain block list at the column");
            fragmentLines = listLayout.ItemLines;
        }
        var problems = new List<ConfigProblem>();
        var edited = LabConfigReader.ReadServices(list, k, problems);
        if (Diagnostics.PhaseTimer.Enabled)
            Console.Error.WriteLine($"netlab profile: stack cache: edit of services [{k}, {m}] as {edited.Length} read");
        if (problems.Count > 0 || edited.Length != fragmentLines.Length)
            return Refuse("a problem reading the entries");
        var services = ImmutableArray.CreateBuilder<ServiceSpec>(previous.Services.Length - (m - k + 1) + edited.Length);
        services.AddRange(previous.Services.AsSpan()[..k]);
        services.AddRange(edited);
        services.AddRange(previous.Services.AsSpan()[(m + 1)..]);
        if (services.Count == 0)
            return Refuse("no services left"); // the key reads as empty: the whole read decides
        var lab = previous with { Services = services.MoveToImmutable() };
        if (Diagnostics.PhaseTimer.Time("stack cache: validate the edit", () => LabValidator.Validate(lab)).Count > 0)
            return Refuse("a validation problem");

        int[] lines = [.. items.AsSpan(0, k), .. fragmentLines.Select(l => l + items[k]), .. items.AsSpan(m + 1).ToArray().Select(l => l + delta)];
        return (lab, new StackLayout(layout.Column, lines));
    }

    private static ImmutableArray<ServiceSpec>? ReadAlone(ReadOnlySpan<byte> text, int first)
    {
        try
        {
            if (text.Length == 0 || YamlTree.Parse(Encoding.UTF8.GetString(text)) is not YamlList list)
                return text.Length == 0 ? [] : null;
            var problems = new List<ConfigProblem>();
            var services = LabConfigReader.ReadServices(list, first, problems);
            return problems.Count == 0 ? services : null;
        }
        catch (YamlException)
        {
            return null;
        }
    }

    /// <summary>Equal services write equal bytes (the cache's own form of them).</summary>
    private static bool SameServices(ImmutableArray<ServiceSpec> a, ImmutableArray<ServiceSpec> b)
    {
        static byte[] Bytes(ImmutableArray<ServiceSpec> services)
        {
            using var stream = new MemoryStream();
            using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
                new LabConfigWriter(writer).Write(new LabConfig { Name = "-", Services = services });
            return stream.ToArray();
        }
        return a.Length == b.Length && Bytes(a).AsSpan().SequenceEqual(Bytes(b));
    }

    /// <summary>Why the last edit on this thread was refused (null: it was not), for specs and the profile.</summary>
    [ThreadStatic]
    internal static string? Refused;

    private static (LabConfig, StackLayout)? Refuse(string why)
    {
        Refused = why;
        if (Diagnostics.PhaseTimer.Enabled)
            Console.Error.WriteLine($"netlab profile: stack cache: edit refused: {why}");
        return null;
    }

    private static bool PlainText(ReadOnlySpan<byte> bytes) =>
        bytes.Length > 0 && bytes[0] is not (0xEF or 0xFE or 0xFF or 0) && bytes.IndexOf((byte)'\r') < 0 && bytes.IndexOf((byte)0) < 0
        && bytes.IndexOf("\u0085"u8) < 0 && bytes.IndexOf("\u2028"u8) < 0 && bytes.IndexOf("\u2029"u8) < 0;

    private static bool LineStart(byte[] bytes, int at) => at == 0 || bytes[at - 1] == (byte)'\n';

    private static int CommonSuffixLength(byte[] a, byte[] b)
    {
        var n = 0;
        var most = Math.Min(a.Length, b.Length);
        while (n < most && a[a.Length - 1 - n] == b[b.Length - 1 - n])
            n++;
        return n;
    }

    private static int Count(ReadOnlySpan<byte> bytes) => bytes.Count((byte)'\n');

    /// <summary>Where each line starts: line i is [starts[i], starts[i + 1] or the end); the text after the last '\n' is a line.</summary>
    private static int[] LineStarts(byte[] bytes)
    {
        var starts = new int[Count(bytes) + 1];
        var line = 1;
        for (var at = bytes.AsSpan().IndexOf((byte)'\n'); at >= 0; at = NextNewline(bytes, at + 1))
            starts[line++] = at + 1;
        return starts;
    }

    private static int NextNewline(byte[] bytes, int from)
    {
        var next = bytes.AsSpan(from).IndexOf((byte)'\n');
        return next < 0 ? -1 : from + next;
    }

    /// <summary>The last entry starting at or before <paramref name="line"/>.</summary>
    private static int Entry(int[] items, int line)
    {
        var found = System.Array.BinarySearch(items, line);
        return found >= 0 ? found : ~found - 1;
    }

    private static ReadOnlySpan<byte> Line(byte[] bytes, int[] starts, int line)
    {
        var end = line + 1 < starts.Length ? starts[line + 1] - 1 : bytes.Length;
        return bytes.AsSpan(starts[line], end - starts[line]);
    }

    private static ReadOnlySpan<byte> Slice(byte[] bytes, int[] starts, int from, int to) =>
        from >= to ? [] : bytes.AsSpan(starts[from], (to < starts.Length ? starts[to] : bytes.Length) - starts[from]);

    private static int Indent(ReadOnlySpan<byte> line)
    {
        var n = line.IndexOfAnyExcept((byte)' ');
        return n < 0 ? -1 : n; // -1: blank
    }

    /// <summary>A dash at <paramref name="column"/> followed by a space or the end of the line: an entry of the list.</summary>
    private static bool IsEntry(ReadOnlySpan<byte> line, int column) =>
        Indent(line) == column && line[column] == (byte)'-' && (line.Length == column + 1 || line[column + 1] == (byte)' ');

    private static bool StartsEntry(byte[] bytes, int[] starts, int line, int column) =>
        line < starts.Length && IsEntry(Line(bytes, starts, line), column);

    private static bool LessIndented(byte[] bytes, int[] starts, int line, int column)
    {
        var indent = Indent(Line(bytes, starts, line));
        return indent >= 0 && indent < column;
    }

    /// <summary>Every line blank, an entry at <paramref name="column"/>, or indented past it.</summary>
    private static bool Indented(ReadOnlySpan<byte> text, int column)
    {
        foreach (var range in text.Split((byte)'\n'))
        {
            var line = text[range];
            var indent = Indent(line);
            if (indent >= 0 && indent <= column && !IsEntry(line, column))
                return false;
        }
        return true;
    }
}
