using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Incremental;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Validation;

namespace Provisioner.ServiceRules.Tests;

/// <summary>
/// The compiled services file, as a new process reads it: over random sequences of service changes (each written as an
/// appended segment, and whole now and then), the table read back assembles byte for byte what a full compile of the
/// applied table gives, and the next table's partial plan from it is the full diff's; only the services whose hash
/// changed are compiled. A file that is corrupted, truncated, of another build, backend or node is not read.
/// </summary>
public sealed class CompiledTableFileSpecs : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "netlab-compiled-" + Guid.NewGuid().ToString("N")[..8]);

    private string File(string name) => Path.Combine(_directory, name);

    public static TheoryData<RuleBackend, int> Runs()
    {
        var runs = new TheoryData<RuleBackend, int>();
        foreach (var backend in new[] { RuleBackend.Iptables, RuleBackend.IptablesLegacy, RuleBackend.Nftables })
            foreach (var seed in Enumerable.Range(21, 4))
                runs.Add(backend, seed);
        return runs;
    }

    [Theory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.Nftables)]
    public void The_file_written_before_a_first_commit_is_byte_for_byte_the_one_written_after_it(RuleBackend backend)
    {
        var compiled = new CompiledTable(backend, Samples.NodeA);
        var delta = compiled.Diff(Samples.All);
        _ = delta.Assemble();

        CompiledTableFile.WriteWhole(File("before.compiled"), backend, Samples.NodeA, delta.Changes.ToList(), delta.Fingerprint);
        delta.Commit();
        CompiledTableFile.WriteWhole(File("after.compiled"), compiled);

        Assert.Equal(System.IO.File.ReadAllBytes(File("after.compiled")), System.IO.File.ReadAllBytes(File("before.compiled")));
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void A_table_read_back_assembles_and_plans_byte_for_byte_what_a_full_compile_does(RuleBackend backend, int seed)
    {
        var random = new RandomTables(seed);
        var path = File("n1.compiled");
        var compiled = new CompiledTable(backend, Samples.NodeA);
        var applied = ServiceTable.Empty;
        var length = 0L;
        var (partialPlans, appends) = (0, 0);
        for (var step = 0; step < 40; step++)
        {
            var next = random.Next(applied, keepUnchangedObjects: false);
            if (ServiceTableValidator.Validate(next, Samples.NodeA).Count > 0)
                continue;
            var inMemory = compiled.Diff(next);
            if (length > 0)
            {
                var read = CompiledTable.FromFile(path, backend, Samples.NodeA, next);
                Assert.NotNull(read);
                Assert.Equal(compiled.Fingerprint, read.Fingerprint);
                Assert.Equal(Text(DesiredRules.Of(backend, applied, Samples.NodeA)), Text(read.Assembled()));
                var delta = read.Diff(next);
                Assert.Equal(inMemory.Changed, delta.Changed); // the others are the file's, by reference: not compiled again
                var expected = DesiredRules.Of(backend, next, Samples.NodeA).PlanFrom(DesiredRules.Of(backend, applied, Samples.NodeA).AfterApply(), null);
                if (read.Services.Count > 0 && delta.PlanPartial(null) is { } partial)
                {
                    partialPlans++;
                    Assert.Equal(expected.Changes, partial.Changes);
                    Assert.Equal(expected.Script, partial.Script);
                }
                Assert.Equal(Text(DesiredRules.Of(backend, next, Samples.NodeA)), Text(delta.Assemble()));
            }
            var changes = inMemory.Changes.ToDictionary();
            inMemory.Commit();
            if (length > 0 && step % 7 != 0 && CompiledTableFile.Append(path, length, compiled, changes) is { } appended)
            {
                length = appended;
                appends++;
            }
            else
                length = CompiledTableFile.WriteWhole(path, compiled);
            applied = next;
        }
        Assert.True(partialPlans >= 10 && appends >= 10, $"{partialPlans} partial plans from a file read back, {appends} appends: the run no longer exercises them");
    }

    [Theory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.Nftables)]
    public void A_corrupted_truncated_extended_or_foreign_file_is_not_read(RuleBackend backend)
    {
        var compiled = new CompiledTable(backend, Samples.NodeA);
        compiled.Diff(Samples.All).Commit();
        var good = File("good.compiled");
        var earlier = compiled.Fingerprint;
        var whole = CompiledTableFile.WriteWhole(good, compiled);
        var change = compiled.Diff(Samples.All.WithService(Samples.Web with { Endpoints = [new("10.244.1.9", "node-a")] }));
        var changes = change.Changes.ToDictionary();
        change.Commit();
        Assert.NotNull(CompiledTableFile.Append(good, whole, compiled, changes));
        Assert.NotNull(CompiledTable.FromFile(good, backend, Samples.NodeA, Samples.All)); // the variants below differ from a file that reads
        var bytes = System.IO.File.ReadAllBytes(good);

        var variants = new List<(string Why, byte[] Bytes)> { ("empty", []), ("appended garbage", [.. bytes, 1, 2, 3]) };
        for (var at = 0; at < bytes.Length; at += Math.Max(1, bytes.Length / 40))
        {
            variants.Add(($"byte {at} flipped", [.. bytes]));
            variants[^1].Bytes[at] ^= 0x20;
            if (at != whole) // a cut at a segment's end is the earlier table, whole: below
                variants.Add(($"truncated at {at}", bytes[..at]));
        }
        System.IO.File.WriteAllBytes(File("earlier.compiled"), bytes[..(int)whole]);
        Assert.Equal(earlier, CompiledTable.FromFile(File("earlier.compiled"), backend, Samples.NodeA, Samples.All)?.Fingerprint); // the engine uses it only if the state file names it
        foreach (var (why, variant) in variants)
        {
            System.IO.File.WriteAllBytes(File("bad.compiled"), variant);
            Assert.True(CompiledTable.FromFile(File("bad.compiled"), backend, Samples.NodeA, Samples.All) is null, $"{why}: read as a compiled table");
        }
        var otherBackend = backend == RuleBackend.Nftables ? RuleBackend.Iptables : RuleBackend.Nftables;
        Assert.Null(CompiledTable.FromFile(good, otherBackend, Samples.NodeA, Samples.All));
        Assert.Null(CompiledTable.FromFile(good, backend, Samples.NodeA with { NodeName = "node-b" }, Samples.All));
        Assert.Null(CompiledTable.FromFile(good, backend, Samples.NodeA with { MasqueradeAll = true }, Samples.All));
        CompiledTableFile.WriteWhole(File("other-build.compiled"), compiled, engineVersion: "another-build");
        Assert.Null(CompiledTable.FromFile(File("other-build.compiled"), backend, Samples.NodeA, Samples.All));
        Assert.Null(CompiledTable.FromFile(File("missing.compiled"), backend, Samples.NodeA, Samples.All));
    }

    [Fact]
    public void An_append_to_a_file_another_writer_changed_writes_nothing()
    {
        var compiled = new CompiledTable(RuleBackend.Iptables, Samples.NodeA);
        compiled.Diff(Samples.All).Commit();
        var path = File("n1.compiled");
        var length = CompiledTableFile.WriteWhole(path, compiled);

        Assert.Null(CompiledTableFile.Append(path, length - 1, compiled, new Dictionary<string, CompiledService?>()));
        Assert.Equal(length, new FileInfo(path).Length);
    }

    private static string Text(DesiredRules rules) => IncrementalCompileSpecs.Text(rules);

    public void Dispose()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }
}
