namespace Provisioner.Host.Iproute;

/// <summary>
/// An <c>ip -batch</c> / <c>bridge -batch</c> script built from argument lists, never from interpolated text: the batch
/// reader splits lines on white space and reads quotes and <c>#</c> its own way, so an argument holding any of them
/// (or empty) cannot be written as a batch line and is refused (run that command on its own instead).
/// </summary>
public static class IpBatch
{
    /// <summary>True when every argument can stand in a batch line as it is.</summary>
    public static bool CanBatch(IReadOnlyList<string> arguments) =>
        arguments.All(a => a.Length > 0 && !a.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '#'));

    /// <summary>One batch line; throws <see cref="ArgumentException"/> for an argument that <see cref="CanBatch"/> refuses.</summary>
    public static string Line(IReadOnlyList<string> arguments) =>
        CanBatch(arguments)
            ? string.Join(' ', arguments)
            : throw new ArgumentException($"'{string.Join(' ', arguments)}' has an argument an ip -batch line cannot hold (empty, white space, quote or #)", nameof(arguments));

    /// <summary>The script of several commands (one line each, a final newline).</summary>
    public static string Script(IEnumerable<IReadOnlyList<string>> commands) =>
        string.Concat(commands.Select(c => Line(c) + "\n"));
}
