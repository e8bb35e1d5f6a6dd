using System.Text.Encodings.Web;
using System.Text.Json;
using Scriban.Runtime;

namespace Provisioner.Rendering.Templates;

/// <summary>Functions templates need beyond Scriban's built-ins, so quoting is done once and correctly.</summary>
internal static class TemplateFunctions
{
    public static void AddTo(ScriptObject globals)
    {
        // indent: prefixes every non-empty line (YAML block scalars holding a rendered script).
        globals.Import("indent", new Func<string, int, string>(Indent));
        // yaml_quote / json_quote: a double-quoted scalar with escapes (JSON strings are valid YAML scalars).
        globals.Import("yaml_quote", new Func<object?, string>(JsonQuote));
        globals.Import("json_quote", new Func<object?, string>(JsonQuote));
        // sh_quote: a POSIX single-quoted word.
        globals.Import("sh_quote", new Func<object?, string>(ShQuote));
    }

    internal static string Indent(string text, int spaces)
    {
        var pad = new string(' ', spaces);
        var lines = text.TrimEnd('\n').Split('\n');
        return string.Join('\n', lines.Select(l => l.Length == 0 ? l : pad + l));
    }

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    internal static string JsonQuote(object? value) =>
        JsonSerializer.Serialize(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "", Relaxed);

    internal static string ShQuote(object? value)
    {
        var text = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
        return "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
