using Provisioner.Errors;

namespace Provisioner.Core.Validation;

/// <summary>One thing wrong with a stack: the key, the bad value, what is wrong and how to fix it.</summary>
public sealed record ConfigProblem(string Key, string? Value, string Message, string Fix)
{
    public override string ToString() =>
        Value is null ? $"{Key}: {Message}. Fix: {Fix}" : $"{Key}: {Message} (got '{Value}'). Fix: {Fix}";
}

/// <summary>Thrown with every problem of a stack at once, before anything is created.</summary>
public sealed class LabConfigException : NetlabException
{
    public LabConfigException(IReadOnlyList<ConfigProblem> problems)
        : base(Describe(problems)) => Problems = problems;

    public LabConfigException() : this([]) { }

    public LabConfigException(string message) : base(message) => Problems = [];

    public LabConfigException(string message, Exception inner) : base(message, inner) => Problems = [];

    public IReadOnlyList<ConfigProblem> Problems { get; }

    private static string Describe(IReadOnlyList<ConfigProblem> problems) =>
        $"The stack has {problems.Count} problem(s):" + string.Concat(problems.Select(p => $"{Environment.NewLine}  - {p}"));
}
