using Provisioner.Testing;
using Xunit;

namespace Provisioner.Cli.Tests;

/// <summary>
/// A privileged test is marked once, with [PrivilegedFact] or [PrivilegedTheory] (which carry Category=Privileged); its
/// class must also be in the privileged collection, so that such tests never run at the same time as each other.
/// </summary>
public sealed class PrivilegedMarkerSpecs
{
    [Fact]
    public void Every_class_with_privileged_tests_is_in_the_privileged_collection()
    {
        var files = Directory.EnumerateFiles(RepoPaths.Of("tests"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => !f.EndsWith("PrivilegedFactAttribute.cs", StringComparison.Ordinal))
            .Select(f => (File: f, Text: File.ReadAllText(f)))
            .Where(f => f.Text.Contains("[PrivilegedFact", StringComparison.Ordinal) || f.Text.Contains("[PrivilegedTheory", StringComparison.Ordinal))
            .ToList();

        Assert.NotEmpty(files);
        Assert.Empty(files.Where(f => !f.Text.Contains("[Collection(PrivilegedCollection.Name)]", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(RepoPaths.Of("tests"), f.File)));
    }
}
