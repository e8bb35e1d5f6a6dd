using Provisioner.Core.Config;
using Provisioner.Core.Model;
using Provisioner.Core.Validation;
using Provisioner.Testing;

namespace Provisioner.Core.Tests.Support;

/// <summary>Stack files as text, and what loading them gives.</summary>
internal static class Stacks
{
    public static string ExamplePath => RepoPaths.Of("Pulumi.dev.yaml");

    public static string ExampleYaml => File.ReadAllText(ExamplePath);

    /// <summary>The smallest valid stack: one control-plane node, everything else defaulted.</summary>
    public const string Minimal = """
        config:
          netlab:nodes:
            - name: cp1
              role: control-plane
        """;

    /// <summary>The problems loading <paramref name="yaml"/> reports; fails if it loads.</summary>
    public static IReadOnlyList<ConfigProblem> ProblemsOf(string yaml, string source = "Pulumi.test.yaml")
    {
        var e = Assert.Throws<LabConfigException>(() => StackFile.Parse(yaml, source));
        Assert.NotEmpty(e.Problems);
        return e.Problems;
    }

    /// <summary>The one problem with <paramref name="key"/>.</summary>
    public static ConfigProblem ProblemAt(string yaml, string key)
    {
        var problems = ProblemsOf(yaml);
        var matching = problems.Where(p => p.Key == key).ToList();
        Assert.True(matching.Count == 1,
            $"expected one problem at '{key}', got:{string.Concat(problems.Select(p => "\n  " + p))}");
        return matching[0];
    }

    public static LabConfig Load(string yaml, string source = "Pulumi.test.yaml") => StackFile.Parse(yaml, source);
}
