using Provisioner.Host.Processes;

namespace Provisioner.Deploy;

/// <summary>One word of a command line: a literal (always quoted) or a reference to an environment variable.</summary>
public readonly record struct Arg
{
    private Arg(string text) => Text = text;

    /// <summary>The word as the shell reads it.</summary>
    public string Text { get; }

    public static implicit operator Arg(string literal) => new(ShellQuote.Quote(literal));

    public static Arg FromString(string literal) => literal;

    /// <summary><c>"${NAME}"</c>: expanded by the shell, never split or globbed.</summary>
    public static Arg Variable(string name) => new(VariableText(name));

    /// <summary>A literal followed by a variable in one word, e.g. <c>worker1="${NETLAB_ADDRESS_WORKER1}"</c>.</summary>
    public static Arg LiteralThenVariable(string literal, string name) => new(ShellQuote.Quote(literal) + VariableText(name));

    private static string VariableText(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && !char.IsAsciiDigit(name[0])
            ? $"\"${{{name}}}\""
            : throw new ArgumentException($"'{name}' is not a valid environment variable name", nameof(name));
}

/// <summary>Builds <c>/bin/sh -c</c> command lines from argument lists; only fixed operators are added between them.</summary>
public static class Shell
{
    public static string Command(params IEnumerable<Arg> argv) => string.Join(' ', argv.Select(a => a.Text));

    /// <summary>Runs each command only if the previous one succeeded.</summary>
    public static string AllOf(params IEnumerable<string> commands) => string.Join(" && ", commands);

    /// <summary>Writes a command's stdout to a file readable only by the user, replacing it atomically.</summary>
    public static string ToPrivateFile(string command, string path)
    {
        var temporary = ShellQuote.Quote(path + ".tmp");
        return $"umask 077 && {command} > {temporary} && mv -f {temporary} {ShellQuote.Quote(path)}";
    }

    /// <summary>Runs <paramref name="command"/> only if <paramref name="condition"/> succeeds (quietly).</summary>
    public static string IfSucceeds(string condition, string command) => $"if {condition} >/dev/null 2>&1; then {command}; fi";

    /// <summary>Runs <paramref name="then"/> if <paramref name="condition"/> succeeds (quietly), else <paramref name="otherwise"/>.</summary>
    public static string IfElse(string condition, string then, string otherwise) =>
        $"if {condition} >/dev/null 2>&1; then {then}; else {otherwise}; fi";

    /// <summary><c>a | b</c>: the first command's stdout is the second one's stdin, never a word of either command line.</summary>
    public static string Pipe(string from, string to) => $"{from} | {to}";

    /// <summary>Runs every command whatever the previous ones did; the result is the last one's.</summary>
    public static string Sequence(params IEnumerable<string> commands) => string.Join("; ", commands);

    /// <summary>Runs <paramref name="command"/>; if it fails, prints <paramref name="warning"/> to stderr and goes on.</summary>
    public static string OrWarn(string command, string warning) => $"{{ {command} || echo {ShellQuote.Quote(warning)} >&2; }}";

    /// <summary>Prints <paramref name="message"/> to stderr and fails the command.</summary>
    public static string Fail(string message) => $"{{ echo {ShellQuote.Quote(message)} >&2; exit 1; }}";

    /// <summary>
    /// Goes to the project root (the directory of <c>Pulumi.yaml</c>) found upwards from the working directory at run
    /// time: a step stores no absolute path, so its delete still works after the checkout moved. Pulumi runs the
    /// command provider in the project's <c>main</c> directory (<c>infra/Provisioner.Infra</c>), inside the checkout.
    /// </summary>
    public const string EnterProjectRoot =
        "r=$PWD; while [ -n \"$r\" ] && [ ! -e \"$r/Pulumi.yaml\" ]; do r=${r%/*}; done; " +
        "if [ -n \"$r\" ]; then cd \"$r\"; else echo 'netlab: no Pulumi.yaml in or above the working directory; run pulumi from the netlab checkout' >&2; exit 1; fi";

    /// <summary>A step's command as it is run: from the project root (see <see cref="EnterProjectRoot"/>).</summary>
    public static string FromProjectRoot(string command) => $"{EnterProjectRoot}; {command}";
}
