using System.Text;

namespace Provisioner.Host.Processes;

/// <summary>
/// POSIX shell quoting, for the places where a command line must be a string (a Pulumi Command's <c>create</c>, a
/// rendered script). Every argument is quoted; nothing is built by concatenating unquoted user text.
/// </summary>
public static class ShellQuote
{
    public static string Quote(string argument)
    {
        if (argument.Length > 0 && argument.All(IsSafe))
            return argument;
        var builder = new StringBuilder("'");
        foreach (var c in argument)
            builder.Append(c == '\'' ? "'\\''" : c.ToString());
        return builder.Append('\'').ToString();
    }

    public static string Join(IEnumerable<string> argv) => string.Join(' ', argv.Select(Quote));

    private static bool IsSafe(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '=' or ',' or '+' or '@' or '%';
}
