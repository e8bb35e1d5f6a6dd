namespace Provisioner.Errors;

/// <summary>
/// The root of every error netlab raises for a learner to read: a bad stack, a failed or hung command, a missing
/// program, a refused kernel request. The message says what went wrong; <see cref="Fix"/>, when known, what to do
/// about it. The CLI prints any of them the same way (message, then the fix when the message does not already say it)
/// with no stack trace; anything else is a bug and keeps its stack trace.
/// </summary>
public abstract class NetlabException : Exception
{
    protected NetlabException() { }

    protected NetlabException(string message) : base(message) { }

    protected NetlabException(string message, Exception? inner) : base(message, inner) { }

    /// <summary>A message written as <c>problem</c>, a new line, then <c>Fix: fix</c>; <see cref="Fix"/> is set.</summary>
    protected NetlabException(string problem, string fix, Exception? inner)
        : base($"{problem}{Environment.NewLine}Fix: {fix}", inner) => Fix = fix;

    /// <summary>What the learner should do to mend it; empty when not known (or when the message alone says it).</summary>
    public string Fix { get; protected init; } = "";
}
