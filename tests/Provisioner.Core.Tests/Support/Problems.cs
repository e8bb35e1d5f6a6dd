using Provisioner.Core.Model;
using Provisioner.Core.Validation;

namespace Provisioner.Core.Tests.Support;

/// <summary>Assertions on what the validator says about a lab.</summary>
internal static class Problems
{
    public static IReadOnlyList<ConfigProblem> Of(LabConfig lab) => LabValidator.Validate(lab);

    /// <summary>The lab's only problem: the rule under test fires, once, and nothing else does.</summary>
    public static ConfigProblem Only(LabConfig lab)
    {
        var problems = Of(lab);
        Assert.True(problems.Count == 1,
            $"expected exactly one problem, got {problems.Count}:{string.Concat(problems.Select(p => "\n  " + p))}");
        return problems[0];
    }

    /// <summary>Asserts the problem names the key and the bad value, and its fix is the given command or text.</summary>
    public static ConfigProblem Names(this ConfigProblem problem, string key, string? value)
    {
        Assert.Equal(key, problem.Key);
        Assert.Equal(value, problem.Value);
        Assert.Contains(key, problem.ToString(), StringComparison.Ordinal);
        if (value is not null)
            Assert.Contains(value, problem.ToString(), StringComparison.Ordinal);
        return problem;
    }

    public static ConfigProblem Says(this ConfigProblem problem, string message)
    {
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
        return problem;
    }

    public static ConfigProblem Fixes(this ConfigProblem problem, string fix)
    {
        Assert.Contains(fix, problem.Fix, StringComparison.Ordinal);
        return problem;
    }

    /// <summary>The fix is the <c>pulumi config set</c> command for the key.</summary>
    public static ConfigProblem FixedBySetting(this ConfigProblem problem, string key, string example) =>
        problem.Fixes(Provisioner.Core.Config.ConfigKeys.SetCommand(key, example));
}
