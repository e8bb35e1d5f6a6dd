using Provisioner.Errors;

namespace Provisioner.Host.Processes;

/// <summary>A command exited non-zero, or could not start; the message carries the command line and its stderr.</summary>
public class CommandFailedException : NetlabException
{
    public CommandFailedException() { }

    public CommandFailedException(string message) : base(message) { }

    public CommandFailedException(string message, Exception inner) : base(message, inner) { }

    public CommandFailedException(string commandLine, int exitCode, string stderr, string? hint = null)
        : base(Describe(commandLine, exitCode, stderr, hint))
    {
        CommandLine = commandLine;
        ExitCode = exitCode;
        StandardError = stderr;
        Fix = hint ?? "";
    }

    /// <summary>For a derived failure that writes its own message (a timeout).</summary>
    protected CommandFailedException(string commandLine, string message) : base(message) => CommandLine = commandLine;

    public string CommandLine { get; } = "";
    public int ExitCode { get; }
    public string StandardError { get; } = "";

    private static string Describe(string commandLine, int exitCode, string stderr, string? hint) =>
        $"'{commandLine}' exited with code {exitCode}" +
        (string.IsNullOrWhiteSpace(stderr) ? "" : $": {stderr.Trim()}") +
        (hint is null ? "" : $"{Environment.NewLine}Fix: {hint}");
}

/// <summary>
/// A command ran past its time limit and was killed. A kind of <see cref="CommandFailedException"/> (every place that
/// reports a failed command reports this one too), never an <see cref="OperationCanceledException"/>, so it cannot be
/// taken for the user's Ctrl-C. The message names the command, the limit and what to check.
/// </summary>
public sealed class CommandTimedOutException : CommandFailedException
{
    public CommandTimedOutException() { }

    public CommandTimedOutException(string message) : base(message) { }

    public CommandTimedOutException(string message, Exception inner) : base(message, inner) { }

    public CommandTimedOutException(string commandLine, TimeSpan limit, string? hint)
        : base(commandLine, Describe(commandLine, limit, hint))
    {
        Limit = limit;
        Fix = "check " + (hint ?? DefaultCheck);
    }

    public TimeSpan Limit { get; }

    private static string Describe(string commandLine, TimeSpan limit, string? hint) =>
        $"'{commandLine}' did not finish within {Seconds(limit)} and was stopped." + Environment.NewLine +
        "Check: " + (hint ?? DefaultCheck) +
        "; a slow machine may need a longer limit.";

    private const string DefaultCheck = "whether the program is waiting for a lock or input, or is hung (run the command by hand to see)";

    private static string Seconds(TimeSpan limit) =>
        limit.TotalSeconds >= 1 ? $"{limit.TotalSeconds:0.#} s" : $"{limit.TotalMilliseconds:0} ms";
}

/// <summary>A required program is not installed; the message names the package that provides it.</summary>
public sealed class ToolMissingException : NetlabException
{
    public ToolMissingException() { }

    public ToolMissingException(string message) : base(message) { }

    public ToolMissingException(string message, Exception inner) : base(message, inner) { }

    public ToolMissingException(string tool, string package, Exception? inner)
        : base($"'{tool}' was not found on PATH. Fix: install it (Debian/Ubuntu: apt-get install {package}).", inner)
    {
        Tool = tool;
        Package = package;
        Fix = $"install it (Debian/Ubuntu: apt-get install {package})";
    }

    public string Tool { get; } = "";
    public string Package { get; } = "";
}
