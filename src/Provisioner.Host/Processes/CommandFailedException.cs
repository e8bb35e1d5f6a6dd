namespace Provisioner.Host.Processes;

/// <summary>A command exited non-zero, or could not start; the message carries the command line and its stderr.</summary>
public sealed class CommandFailedException : Exception
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
    }

    public string CommandLine { get; } = "";
    public int ExitCode { get; }
    public string StandardError { get; } = "";

    private static string Describe(string commandLine, int exitCode, string stderr, string? hint) =>
        $"'{commandLine}' exited with code {exitCode}" +
        (string.IsNullOrWhiteSpace(stderr) ? "" : $": {stderr.Trim()}") +
        (hint is null ? "" : $"{Environment.NewLine}Fix: {hint}");
}

/// <summary>A required program is not installed; the message names the package that provides it.</summary>
public sealed class ToolMissingException : Exception
{
    public ToolMissingException() { }

    public ToolMissingException(string message) : base(message) { }

    public ToolMissingException(string message, Exception inner) : base(message, inner) { }

    public ToolMissingException(string tool, string package, Exception? inner)
        : base($"'{tool}' was not found on PATH. Fix: install it (Debian/Ubuntu: apt-get install {package}).", inner)
    {
        Tool = tool;
        Package = package;
    }

    public string Tool { get; } = "";
    public string Package { get; } = "";
}
