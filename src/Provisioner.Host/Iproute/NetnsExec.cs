using Provisioner.Host.Processes;

namespace Provisioner.Host.Iproute;

/// <summary>
/// A program run inside a named network namespace, <c>ip netns exec NS PROGRAM ARGS...</c>, assembled here only:
/// <see cref="Arguments"/> are <c>ip</c>'s arguments, <see cref="Wrap"/> picks the plain command when there is no
/// namespace (the host), <see cref="Line"/> is the same as a learner types it.
/// </summary>
public static class NetnsExec
{
    /// <summary>The program that enters the namespace.</summary>
    public const string Ip = "ip";

    /// <summary><c>ip</c>'s arguments that run <paramref name="program"/> inside <paramref name="netns"/>.</summary>
    public static string[] Arguments(string netns, string program, params IEnumerable<string> arguments) =>
        Command(netns, [program, .. arguments]);

    /// <summary><c>ip</c>'s arguments that run <paramref name="command"/> (program first) inside <paramref name="netns"/>.</summary>
    public static string[] Command(string netns, IEnumerable<string> command) => ["netns", "exec", netns, .. command];

    /// <summary>The program and arguments to run: inside <paramref name="netns"/>, or as they are when it is null.</summary>
    public static (string Program, string[] Arguments) Wrap(string? netns, string program, IEnumerable<string> arguments) =>
        netns is null ? (program, [.. arguments]) : (Ip, Arguments(netns, program, arguments));

    /// <summary>The whole argument vector (program first) of <see cref="Wrap"/>.</summary>
    public static string[] Argv(string? netns, string program, IEnumerable<string> arguments) =>
        Wrap(netns, program, arguments) is var (file, argv) ? [file, .. argv] : [];

    /// <summary>The command as a shell line, quoted where needed.</summary>
    public static string Line(string? netns, string program, params IEnumerable<string> arguments) =>
        ShellQuote.Join(Argv(netns, program, arguments));
}
