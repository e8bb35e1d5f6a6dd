using System.Text;
using Provisioner.Core.Config;
using Provisioner.Core.Config.Cache;
using Provisioner.Core.Model;
using Provisioner.Core.Tests.Support;
using Provisioner.Core.Validation;
using Provisioner.Testing;

namespace Provisioner.Core.Tests.Config;

public sealed class StackCacheSpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netlab-stack-cache-").FullName;
    private StackCache Cache => new(Path.Combine(_dir, "cache"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Stack(string yaml, string name = "Pulumi.test.yaml")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    private static void AssertSame(LabConfig expected, LabConfig actual) =>
        Assert.True(ModelGraph.Differences(expected, actual) is [], string.Join("\n", ModelGraph.Differences(expected, actual)));

    /// <summary>Every stack the repository holds: the example, the golden and test stacks.</summary>
    public static TheoryData<string> RepositoryStacks() => [.. new[] { "Pulumi.dev.yaml" }.Concat(
        Directory.EnumerateFiles(RepoPaths.Of("tests"), "*.yaml", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) is "stack.yaml" || f.EndsWith(".stack.yaml", StringComparison.Ordinal))
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(RepoPaths.Root, f)).Order(StringComparer.Ordinal))];

    [Theory]
    [MemberData(nameof(RepositoryStacks))]
    public void I_get_every_stack_of_the_repository_back_from_the_cache_exactly_as_read(string stack)
    {
        var path = Stack(File.ReadAllText(RepoPaths.Of(stack)), Path.GetFileName(stack));
        var read = StackFile.Load(path);

        var first = Cache.Load(path);
        var cached = Cache.Load(path);

        AssertSame(read, first);
        AssertSame(read, cached);
        Assert.NotSame(first, cached); // the second came from the entry, not from a parse
        Assert.Single(Directory.GetFiles(Cache.Directory, "*.lab"));
    }

    [Fact]
    public void I_get_a_10k_service_stack_back_exactly_and_already_validated()
    {
        var yaml = new StringBuilder("config:\n  netlab:name: big\n  netlab:backend: netns\n  netlab:nodes:\n    - { name: n1, role: control-plane }\n  netlab:pods:\n");
        for (var p = 1; p <= 3; p++)
            yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"    - {{ name: p{p}, node: n1, labels: {{ app: web, tier: t{p} }} }}\n");
        yaml.Append("  netlab:services:\n");
        for (var s = 1; s <= 10_000; s++)
            yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"    - {{ name: s{s}, selector: {{ app: web }}, ports: [ {{ port: {80 + s % 7}, targetPort: 8080 }} ] }}\n");
        var path = Stack(yaml.ToString(), "Pulumi.big.yaml");

        Cache.Load(path);
        var cached = Cache.Load(path);

        AssertSame(StackFile.Load(path), cached);
        Assert.Empty(LabValidator.Validate(cached));
    }

    [Fact]
    public void I_get_every_property_of_the_lab_model_back_from_the_cache()
    {
        var lab = ModelGraph.Filled();
        var entry = Path.Combine(_dir, "filled.lab");

        StackCache.TryWrite(entry, "key", lab);
        var back = StackCache.TryRead(entry, "key");

        Assert.NotNull(back);
        AssertSame(lab, back);
        // the filler set every property to something a fresh lab does not hold (it fills nested records the same way)
        var differing = ModelGraph.Differences(lab, new LabConfig { Name = "x" }).Select(d => d.Split(':', '.', '[')[1]).ToHashSet();
        Assert.Equal(ModelGraph.Stored(typeof(LabConfig)).Select(p => p.Name).Order(), differing.Order());
    }

    [Fact]
    public void I_keep_no_lab_state_a_cache_cannot_write() =>
        Assert.Empty(ModelGraph.GetOnlyState(typeof(LabConfig)));

    [Theory]
    [InlineData("flip a byte of the body")]
    [InlineData("truncate")]
    [InlineData("another build's key")]
    [InlineData("garbage")]
    [InlineData("empty")]
    public void I_never_trust_a_damaged_or_foreign_entry(string damage)
    {
        var path = Stack(Stacks.ExampleYaml, "Pulumi.dev.yaml");
        Cache.Load(path);
        var entry = Directory.GetFiles(Cache.Directory, "*.lab").Single();
        var bytes = File.ReadAllBytes(entry);
        var body = Array.IndexOf(bytes, (byte)'\n') + 1;
        File.WriteAllBytes(entry, damage switch
        {
            "flip a byte of the body" => [.. bytes[..(body + 40)], (byte)(bytes[body + 40] ^ 1), .. bytes[(body + 41)..]],
            "truncate" => bytes[..(bytes.Length / 2)],
            "another build's key" => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes).Replace(" key ", " key 0", StringComparison.Ordinal)),
            "garbage" => Encoding.UTF8.GetBytes("netlab-stack-cache 1 key x body y\n{}"),
            _ => [],
        });

        Assert.Null(StackCache.TryRead(entry, StackCache.Key(File.ReadAllBytes(path), "dev")));
        AssertSame(StackFile.Load(path), Cache.Load(path)); // read again, and the entry mended
        Assert.NotNull(StackCache.TryRead(entry, StackCache.Key(File.ReadAllBytes(path), "dev")));
    }

    [Fact]
    public void I_never_trust_an_entry_whose_body_hash_matches_but_is_not_a_lab()
    {
        var entry = Path.Combine(_dir, "not-a-lab.lab");
        StackCache.TryWrite(entry, "key", new LabConfig { Name = "x" });
        var header = Encoding.UTF8.GetString(File.ReadAllBytes(entry)).Split('\n')[0];
        var body = "{\"Name\":\"x\"}"u8.ToArray(); // another format (e.g. JSON) under a right hash
        File.WriteAllBytes(entry, [.. Encoding.UTF8.GetBytes(StackCache.Header("key", body) + "\n"), .. body]);

        Assert.StartsWith("netlab-stack-cache 1 key key body ", header, StringComparison.Ordinal);
        Assert.Null(StackCache.TryRead(entry, "key"));
    }

    [Fact]
    public void I_read_an_edited_stack_again_and_keep_one_entry_for_it()
    {
        var path = Stack(Stacks.Minimal);
        Cache.Load(path);
        File.WriteAllText(path, Stacks.Minimal + "\n  netlab:image: \"22.04\"\n");

        Assert.Equal("22.04", Cache.Load(path).Image);
        Assert.Equal("22.04", Cache.Load(path).Image);
        Assert.Single(Directory.GetFiles(Cache.Directory, "*.lab"));
    }

    [Fact]
    public void I_keep_only_the_entries_of_the_stacks_used_last()
    {
        var stacks = Enumerable.Range(0, StackCache.MaxEntries + 3).Select(i => Stack(Stacks.Minimal, $"Pulumi.s{i}.yaml")).ToList();
        foreach (var (stack, i) in stacks.Select((s, i) => (s, i)))
        {
            Cache.Load(stack);
            File.SetLastWriteTimeUtc(Cache.EntryPath(stack), DateTime.UtcNow.AddMinutes(i - stacks.Count)); // oldest first, whatever the clock's grain
        }

        Assert.Equal(StackCache.MaxEntries, Directory.GetFiles(Cache.Directory, "*.lab").Length);
        Cache.Load(Stack(Stacks.Minimal, "Pulumi.last.yaml"));
        Assert.Equal(StackCache.MaxEntries, Directory.GetFiles(Cache.Directory, "*.lab").Length);
        Assert.All(stacks.TakeLast(StackCache.MaxEntries - 1), s => Assert.True(File.Exists(Cache.EntryPath(s)), s));
        Assert.False(File.Exists(Cache.EntryPath(stacks[^StackCache.MaxEntries])));
    }

    [Fact]
    public void I_get_the_stack_name_of_each_file_even_for_the_same_bytes()
    {
        var a = Stack(Stacks.Minimal, "Pulumi.one.yaml");
        var b = Stack(Stacks.Minimal, "Pulumi.two.yaml");

        Assert.Equal(["one", "two", "one", "two"], new[] { a, b, a, b }.Select(p => Cache.Load(p).Name));
    }

    [Fact]
    public void I_get_the_same_errors_for_a_bad_stack_and_nothing_is_cached()
    {
        var path = Stack(Stacks.Minimal + "\n  netlab:kubernetes: { version: \"1.20\" }\n");
        var expected = Assert.Throws<LabConfigException>(() => StackFile.Load(path)).Message;

        Assert.Equal(expected, Assert.Throws<LabConfigException>(() => Cache.Load(path)).Message);
        Assert.Equal(expected, Assert.Throws<LabConfigException>(() => Cache.Load(path)).Message);
        Assert.False(Directory.Exists(Cache.Directory) && Directory.GetFiles(Cache.Directory).Length > 0);
        Assert.Equal(Assert.Throws<LabConfigException>(() => StackFile.Load(Path.Combine(_dir, "Pulumi.none.yaml"))).Message,
            Assert.Throws<LabConfigException>(() => Cache.Load(Path.Combine(_dir, "Pulumi.none.yaml"))).Message);
    }
}
