using Provisioner.Errors;

namespace Provisioner.Rendering.Templates;

/// <summary>One problem in a template, located as <c>file:line:column</c> (1-based) the way editors and compilers print them.</summary>
public sealed record TemplateDiagnostic(string File, int Line, int Column, string Message)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}

/// <summary>A template could not be parsed or rendered; never an empty or partial output instead.</summary>
public sealed class TemplateException : NetlabException
{
    public TemplateException(IReadOnlyList<TemplateDiagnostic> diagnostics)
        : base(Describe(diagnostics)) => Diagnostics = diagnostics;

    public TemplateException() : this([]) { }

    public TemplateException(string message) : base(message) => Diagnostics = [];

    public TemplateException(string message, Exception inner) : base(message, inner) => Diagnostics = [];

    public IReadOnlyList<TemplateDiagnostic> Diagnostics { get; }

    private static string Describe(IReadOnlyList<TemplateDiagnostic> diagnostics) =>
        diagnostics.Count == 1
            ? $"template error: {diagnostics[0]}"
            : $"{diagnostics.Count} template errors:" + string.Concat(diagnostics.Select(d => $"{Environment.NewLine}  {d}"));
}
