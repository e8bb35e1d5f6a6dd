using Provisioner.Errors;

namespace Provisioner.ServiceRules.Validation;

/// <summary>One thing wrong with a service table: which service, which field, and what would fix it.</summary>
public sealed record RuleProblem(string Service, string Field, string Message)
{
    public override string ToString() => $"{Service}: {Field}: {Message}";
}

/// <summary>A service table was refused; <see cref="Problems"/> lists every problem found, not just the first.</summary>
public sealed class InvalidServiceTableException : NetlabException
{
    public InvalidServiceTableException() { }

    public InvalidServiceTableException(string message) : base(message) { }

    public InvalidServiceTableException(string message, Exception inner) : base(message, inner) { }

    public InvalidServiceTableException(IReadOnlyList<RuleProblem> problems)
        : base("The service table was refused; the kernel rules were left as they were:" + Environment.NewLine +
               string.Join(Environment.NewLine, problems.Select(p => "  - " + p)))
    {
        Problems = problems;
    }

    public IReadOnlyList<RuleProblem> Problems { get; } = [];
}
