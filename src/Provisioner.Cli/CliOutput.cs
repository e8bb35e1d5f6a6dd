using System.CommandLine;
using Spectre.Console;

namespace Provisioner.Cli;

/// <summary>
/// The console a command writes to: Spectre.Console over the invocation's writers, so tests capture exactly what a
/// learner sees (without colour codes when the output is not a terminal).
/// </summary>
public sealed class CliOutput
{
    private CliOutput(IAnsiConsole @out, IAnsiConsole error)
    {
        Out = @out;
        Error = error;
    }

    private const int UnwrappedWidth = 4096;

    public IAnsiConsole Out { get; }
    public IAnsiConsole Error { get; }

    public static CliOutput For(ParseResult parseResult) =>
        For(parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error);

    internal static CliOutput For(TextWriter output, TextWriter error) => new(Create(output), Create(error));

    private static IAnsiConsole Create(TextWriter writer)
    {
        var isConsole = ReferenceEquals(writer, Console.Out) || ReferenceEquals(writer, Console.Error);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = isConsole ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = isConsole ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        if (!isConsole || Console.IsOutputRedirected)
            console.Profile.Width = UnwrappedWidth; // a pipe or a file gets whole lines (one problem per line)
        return console;
    }

    /// <summary>A plain line (user text is escaped, never read as markup).</summary>
    public void Line(string text) => Out.MarkupLine(Markup.Escape(text));

    public void Success(string text) => Out.MarkupLine($"[green]✓[/] {Markup.Escape(text)}");

    public void Problem(string text) => Error.MarkupLine($"[red]✗[/] {Markup.Escape(text)}");
}
