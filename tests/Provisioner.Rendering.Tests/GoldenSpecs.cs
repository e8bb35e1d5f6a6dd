using Xunit;

namespace Provisioner.Rendering.Tests;

/// <summary>
/// Rendered output compared with expected files, per stack: Golden/NNN-name/stack.yaml renders to
/// Golden/NNN-name/expected/NODE/FILE. After a deliberate template change, regenerate with
/// <c>NETLAB_UPDATE_GOLDEN=1 dotnet test tests/Provisioner.Rendering.Tests</c> and review the diff.
/// The CNI conflist is left out: its template belongs to netlab-cni, which tests it (ConflistSpecs).
/// </summary>
public class GoldenSpecs
{
    private static bool Update => Environment.GetEnvironmentVariable("NETLAB_UPDATE_GOLDEN") == "1";

    [Theory]
    [MemberData(nameof(Stacks.Cases), MemberType = typeof(Stacks))]
    public void Each_stack_renders_exactly_its_expected_files(string goldenCase)
    {
        var expectedRoot = Path.Combine(Stacks.GoldenRoot, goldenCase, "expected");
        var plan = Stacks.Plan(goldenCase);
        var actual = LabRenderer.RenderAll(plan)
            .SelectMany(n => n.Files.Where(f => f.RelativePath != NodeFiles.Conflist)
                .Select(f => (Path: $"{n.Node}/{f.RelativePath}", f.Content)))
            .ToDictionary(f => f.Path, f => f.Content, StringComparer.Ordinal);

        if (Update)
        {
            if (Directory.Exists(expectedRoot))
                Directory.Delete(expectedRoot, recursive: true);
            foreach (var (path, content) in actual)
            {
                var file = Path.Combine(expectedRoot, path);
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                File.WriteAllText(file, content);
            }
            return;
        }

        Assert.True(Directory.Exists(expectedRoot), $"{expectedRoot} is missing; create it with NETLAB_UPDATE_GOLDEN=1");
        var expected = Directory.EnumerateFiles(expectedRoot, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(expectedRoot, f).Replace('\\', '/'), File.ReadAllText, StringComparer.Ordinal);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (path, content) in expected)
            Assert.True(content == actual[path], $"{goldenCase}/expected/{path} differs from what renders now; " +
                "if the change is deliberate, regenerate with NETLAB_UPDATE_GOLDEN=1 and review the diff");
    }
}
