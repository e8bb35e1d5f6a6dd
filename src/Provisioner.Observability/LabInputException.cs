using Provisioner.Errors;

namespace Provisioner.Observability;

/// <summary>What a learner typed does not fit the lab (an unknown pod, a bad port, a second drill); the message says the fix.</summary>
public sealed class LabInputException : NetlabException
{
    public LabInputException() { }

    public LabInputException(string message) : base(message) { }

    public LabInputException(string message, Exception inner) : base(message, inner) { }
}
