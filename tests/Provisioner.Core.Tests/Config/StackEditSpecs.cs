using System.Globalization;
using System.Text;
using Provisioner.Core.Config;
using Provisioner.Core.Config.Cache;
using Provisioner.Core.Model;
using Provisioner.Core.Tests.Support;
using Provisioner.Core.Validation;

namespace Provisioner.Core.Tests.Config;

/// <summary>
/// An edited stack read from the previous entry (<see cref="StackEdit"/>) must be exactly what a whole read of the
/// edited file gives, and every edit it cannot prove sound must be read whole: each edit here is checked against
/// <see cref="StackFile.Load"/> of the same file, lab for lab and error for error.
/// </summary>
public sealed class StackEditSpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netlab-stack-edit-").FullName;
    private readonly StackCache _cache;
    private readonly string _path;
    private List<string> _lines;
    private readonly List<string?> _refusals = [];
    private bool _readError;

    public StackEditSpecs()
    {
        _cache = new StackCache(Path.Combine(_dir, "cache"));
        _path = Path.Combine(_dir, "Pulumi.ed.yaml");
        _lines = Lines(40, tail: false);
        Assert.Equal(StackRead.Whole, Load());
        Assert.Equal(StackRead.Cached, Load());
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A stack of <paramref name="count"/> services, every fifth in block style, the rest one line each.</summary>
    private static List<string> Lines(int count, bool tail)
    {
        var lines = new List<string>
        {
            "config:", "  netlab:name: ed", "  netlab:backend: netns", "  netlab:nodes:", "    - { name: n1, role: control-plane }",
            "  netlab:pods:", "    - { name: p1, node: n1, labels: { app: web } }", "  # the services", "  netlab:services:",
        };
        for (var s = 1; s <= count; s++)
            lines.AddRange(s % 5 == 0 ? Block(s) : [Flow(s)]);
        if (tail)
            lines.AddRange(["  netlab:namespaces:", "    - { name: default, labels: { team: a } }"]);
        return lines;
    }

    private static string Flow(int s, int port = 80) =>
        string.Create(CultureInfo.InvariantCulture, $"    - {{ name: s{s}, selector: {{ app: web }}, ports: [ {{ port: {port}, targetPort: 8080 }} ] }}");

    private static string[] Block(int s) =>
        [$"    - name: s{s}", "      selector: { app: web }", "      ports:", "        - port: 80", "          targetPort: 8080"];

    private int Index(string prefix) => _lines.FindIndex(l => l.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>Writes the stack, reads it through the cache and whole, and says how the cache read it.</summary>
    private StackRead Load(string? trailer = "\n")
    {
        File.WriteAllText(_path, string.Join('\n', _lines) + trailer);
        LabConfig? whole = null;
        string? error = null;
        try
        {
            whole = StackFile.Load(_path);
        }
        catch (LabConfigException e)
        {
            error = $"{e.GetType()}: {e.Message}";
        }
        _readError = error is not null;
        if (error is not null)
        {
            var again = Assert.ThrowsAny<Exception>(() => _cache.Load(_path));
            Assert.Equal(error, $"{again.GetType()}: {again.Message}");
            return _cache.LastRead;
        }
        var read = _cache.Load(_path);
        if (_cache.LastRead != StackRead.Edit)
            _refusals.Add(StackEdit.Refused);
        var differences = ModelGraph.Differences(whole!, read);
        Assert.True(differences is [], string.Join("\n", differences));
        Assert.Empty(LabValidator.Validate(read));
        return _cache.LastRead;
    }

    private void AssertEdit(StackRead read) =>
        Assert.True(read == StackRead.Edit, $"read {read}, the edit refused: {StackEdit.Refused}; source {string.Join(",", StackCache.ReadSource(StackCache.SourcePath(_cache.EntryPath(_path)))?.Layout.ItemLines ?? [])}");

    private StackRead Edit(Action<List<string>> edit, string? trailer = "\n")
    {
        edit(_lines);
        return Load(trailer);
    }

    [Fact]
    public void I_read_only_the_edited_service_when_one_port_changes() =>
        AssertEdit(Edit(l => l[Index("    - { name: s17,")] = Flow(17, 81)));

    [Fact]
    public void I_read_edits_one_after_another_from_the_entry_each_left()
    {
        AssertEdit(Edit(l => l[Index("    - { name: s3,")] = Flow(3, 443)));
        AssertEdit(Edit(l => l.Insert(Index("    - { name: s8,"), Flow(100))));
        AssertEdit(Edit(l => l.RemoveRange(Index("    - name: s10"), 5)));
        AssertEdit(Edit(l => l.Insert(Index("          targetPort: 8080") + 1, "      sessionAffinity: ClientIP")));
        AssertEdit(Edit(l => l[Index("    - { name: s39,")] = Flow(39, 8443)));
        AssertEdit(Edit(l => l.Add(Flow(41))));
        AssertEdit(Edit(l => l.RemoveAt(l.Count - 1)));
        AssertEdit(Edit(l => l[Index("        - port: 80")] = "        - port: 9090"));
        Assert.Equal(StackRead.Cached, Load());
    }

    [Fact]
    public void I_read_an_edit_of_two_services_far_apart_as_one_of_everything_between() =>
        AssertEdit(Edit(l => (l[Index("    - { name: s2,")], l[Index("    - { name: s38,")]) = (Flow(2, 1), Flow(38, 2))));

    [Fact]
    public void I_read_an_edit_of_the_list_followed_by_another_key()
    {
        _lines = Lines(40, tail: true);
        Assert.Equal(StackRead.Whole, Load());
        AssertEdit(Edit(l => l[Index("    - { name: s39,")] = Flow(39, 81)));
        AssertEdit(Edit(l => l.Insert(Index("  netlab:namespaces:"), Flow(77)))); // appended to the list
        Assert.Equal(StackRead.Whole, Edit(l => l[^1] = "    - { name: default, labels: { team: b } }"));
    }

    [Fact]
    public void I_read_a_stack_whose_last_line_has_no_newline()
    {
        AssertEdit(Load(trailer: ""));
        AssertEdit(Edit(l => l[^1] = "          targetPort: 9090", trailer: ""));
        AssertEdit(Edit(l => l[Index("    - { name: s1,")] = Flow(1, 99), trailer: "\n\n"));
    }

    [Theory]
    [InlineData("a name another service has", "    - { name: s17,", "    - { name: s18, selector: { app: web }, ports: [ { port: 80, targetPort: 8080 } ] }")]
    [InlineData("a cluster IP another service has", "    - { name: s17,", "    - { name: s17, clusterIP: 10.96.0.1, ports: [ { port: 80 } ] }")]
    [InlineData("a port that is not a number", "    - { name: s17,", "    - { name: s17, ports: [ { port: eighty } ] }")]
    [InlineData("an unknown key", "    - { name: s17,", "    - { name: s17, prots: [ { port: 80 } ] }")]
    [InlineData("an entry that is no mapping", "    - { name: s17,", "    - s17")]
    [InlineData("a bad indentation", "    - { name: s17,", "   - { name: s17 }")]
    [InlineData("an unclosed mapping", "    - { name: s17,", "    - { name: s17, ports: [ { port: 80 } ]")]
    [InlineData("a key out of the list", "    - { name: s17,", "  netlab:image: \"22.04\"")]
    [InlineData("a tab", "    - { name: s17,", "    - { name: s17,\tports: [ { port: 80 } ] }")]
    [InlineData("an alias", "    - { name: s17,", "    - { name: s17, selector: *sel, ports: [ { port: 80 } ] }")]
    [InlineData("a document end", "    - { name: s17,", "---")]
    public void I_give_the_whole_read_s_errors_or_lab_for_an_edit_I_cannot_prove(string why, string line, string edited)
    {
        var read = Edit(l => l[Index(line)] = edited);
        Assert.True(read is StackRead.Whole, $"{why}: {read}");
    }

    [Fact]
    public void I_read_an_anchored_stack_whole_even_where_the_edit_is_plain()
    {
        Assert.Equal(StackRead.Whole, Edit(l => l[Index("    - { name: p1,")] = "    - { name: p1, node: n1, labels: &web { app: web } }"));
        Assert.Equal(StackRead.Whole, Edit(l => l[Index("    - { name: s17,")] = Flow(17, 81)));
    }

    [Fact]
    public void I_read_an_edit_outside_the_services_whole() =>
        Assert.Equal(StackRead.Whole, Edit(l => l[Index("  netlab:backend")] = "  netlab:network: { fabric: routed }\n  netlab:backend: netns"));

    [Theory]
    [InlineData("flip a byte")]
    [InlineData("truncate")]
    [InlineData("another stack's")]
    [InlineData("garbage")]
    public void I_never_edit_from_a_damaged_or_foreign_source(string damage)
    {
        var source = StackCache.SourcePath(_cache.EntryPath(_path));
        var bytes = File.ReadAllBytes(source);
        if (damage == "another stack's")
        {
            // a consistent source of other bytes, beside this stack's entry: its key is not the entry's
            var other = Path.Combine(_dir, "Pulumi.other.yaml");
            File.WriteAllText(other, string.Join('\n', Lines(40, tail: false)).Replace("port: 80,", "port: 81,", StringComparison.Ordinal) + "\n");
            _cache.Load(other);
            bytes = File.ReadAllBytes(StackCache.SourcePath(_cache.EntryPath(other)));
        }
        File.WriteAllBytes(source, damage switch
        {
            "flip a byte" => [.. bytes[..^40], (byte)(bytes[^40] ^ 1), .. bytes[^39..]],
            "truncate" => bytes[..(bytes.Length / 2)],
            "garbage" => Encoding.UTF8.GetBytes("netlab-stack-source 1 key x body y\n"),
            _ => bytes,
        });

        Assert.Equal(StackRead.Whole, Edit(l => l[Index("    - { name: s17,")] = Flow(17, 81)));
        AssertEdit(Edit(l => l[Index("    - { name: s18,")] = Flow(18, 81))); // the source mended
    }

    [Fact]
    public void I_never_edit_from_a_source_whose_layout_lies()
    {
        var source = StackCache.SourcePath(_cache.EntryPath(_path));
        var (key, stack, layout) = StackCache.ReadSource(source)!.Value;
        StackCache.TryWriteSource(source, key, stack, layout with { ItemLines = [.. layout.ItemLines.Select(l => l + 1)] });

        Assert.Equal(StackRead.Whole, Edit(l => l[Index("    - { name: s17,")] = Flow(17, 81)));
        Assert.Equal("the old entries are not the previous lab's", StackEdit.Refused); // by the old entries read alone, not by luck of the validation after it
    }

    /// <summary>Random edits of random lines: whatever the cache does, it gives what the whole read gives.</summary>
    [Fact]
    public void I_give_what_the_whole_read_gives_for_random_edits()
    {
        var random = new Random(11);
        string[] pieces = ["8", "1", " ", "-", "{", "}", "[", "]", ",", ":", "s", "\"", "#", "port: 7", "name", "\n", "\n    - ", "\n      ", "\n  "];
        var edits = new Dictionary<StackRead, int>();
        var good = _lines.ToList();
        for (var i = 0; i < 300; i++)
        {
            var read = Edit(l =>
            {
                var at = random.Next(8, l.Count);
                var line = l[at];
                var where = random.Next(line.Length + 1);
                switch (random.Next(6))
                {
                    case 0 when line.Length > 0 && where < line.Length:
                        l[at] = line.Remove(where, 1);
                        break;
                    case 1:
                        l[at] = line.Insert(where, pieces[random.Next(pieces.Length)]);
                        break;
                    case 2:
                        l.Insert(at, Flow(random.Next(1, 60), random.Next(1, 9000)));
                        break;
                    case 3:
                        l.RemoveAt(at);
                        break;
                    default:
                        l[at] = Flow(random.Next(1, 60), random.Next(1, 9000));
                        break;
                }
                var text = string.Join('\n', l);
                l.Clear();
                l.AddRange(text.Split('\n'));
            });
            edits[read] = edits.GetValueOrDefault(read) + 1;
            if (_readError)
                _lines = good.ToList(); // edit the last good stack again: its entry is still the cache's
            else
                good = _lines.ToList();
            if (i == 150)
            {
                _lines = good = Lines(40, tail: true);
                Load();
            }
        }
        var refusals = string.Join(", ", _refusals.CountBy(r => r ?? "-").OrderBy(r => r.Key, StringComparer.Ordinal));
        Assert.True(edits.GetValueOrDefault(StackRead.Edit) > 30, string.Join(", ", edits) + "; refused: " + refusals);
        Assert.True(edits.GetValueOrDefault(StackRead.Whole) > 30, string.Join(", ", edits));
    }
}
