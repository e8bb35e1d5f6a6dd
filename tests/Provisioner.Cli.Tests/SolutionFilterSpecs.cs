using System.Text.Json;
using System.Text.RegularExpressions;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Cli.Tests;

/// <summary>
/// Provisioner.NoInfra.slnf, what the README's unit-test command and scripts/test.sh build wherever the Pulumi
/// packages cannot be restored, lists every project of the solution but the Pulumi program and its tests.
/// </summary>
public sealed partial class SolutionFilterSpecs
{
    private static readonly string[] PulumiProjects = ["infra/Provisioner.Infra/Provisioner.Infra.csproj", "tests/Provisioner.Infra.Tests/Provisioner.Infra.Tests.csproj"];

    [GeneratedRegex("""^Project\("\{[^}]+\}"\) = "[^"]+", "(?<path>[^"]+\.csproj)", """, RegexOptions.Multiline)]
    private static partial Regex SolutionProject();

    private static IEnumerable<string> Normalised(IEnumerable<string> paths) => paths.Select(p => p.Replace('\\', '/')).Order(StringComparer.Ordinal);

    [Fact]
    public void The_no_infra_filter_lists_every_project_of_the_solution_but_the_two_Pulumi_ones()
    {
        var solution = Normalised(SolutionProject().Matches(File.ReadAllText(RepoPaths.Of("Provisioner.sln"))).Select(m => m.Groups["path"].Value)).ToList();
        using var filter = JsonDocument.Parse(File.ReadAllText(RepoPaths.Of("Provisioner.NoInfra.slnf")));
        var listed = Normalised(filter.RootElement.GetProperty("solution").GetProperty("projects").EnumerateArray().Select(p => p.GetString()!));

        Assert.Equal("Provisioner.sln", filter.RootElement.GetProperty("solution").GetProperty("path").GetString());
        Assert.Superset(PulumiProjects.ToHashSet(), solution.ToHashSet()); // the two are still what the solution calls them
        Assert.True(solution.Except(PulumiProjects).SequenceEqual(listed),
            "Provisioner.NoInfra.slnf is out of date with Provisioner.sln; regenerate it with scripts/solution-filter.sh");
        Assert.All(listed, p => Assert.True(File.Exists(RepoPaths.Of(p.Split('/'))), $"{p} is listed but does not exist"));
    }
}
