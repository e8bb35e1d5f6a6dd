using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;

namespace Provisioner.Rendering.Templates;

/// <summary>
/// Renders the Scriban templates under <c>templates/</c>. Variables are strict: a name the model does not have is an
/// error with its <c>file:line:column</c>, never an empty string. Models are C# records; their members appear in
/// templates in snake_case (<c>PodSubnet</c> is <c>pod_subnet</c>).
/// </summary>
public sealed class TemplateRenderer
{
    private readonly ITemplateSource _source;
    private readonly Dictionary<string, Template> _parsed = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public TemplateRenderer(ITemplateSource source) => _source = source;

    /// <summary>The templates embedded in the assembly: works from any directory.</summary>
    public static TemplateRenderer Embedded { get; } = new(EmbeddedTemplateSource.Instance);

    /// <summary>Templates from <paramref name="overrideDirectory"/> where present, the embedded ones otherwise.</summary>
    public static TemplateRenderer WithOverride(string overrideDirectory) =>
        new(new LayeredTemplateSource(new DirectoryTemplateSource(overrideDirectory), EmbeddedTemplateSource.Instance));

    public bool Exists(string path) => _source.Read(path) is not null;

    /// <summary>Renders a template with a model (a record or anything Scriban can import) as its global variables.</summary>
    public string Render(string path, object model, IReadOnlyDictionary<string, object?>? extra = null)
    {
        var template = Parse(path);
        var globals = new ScriptObject();
        globals.Import(model, renamer: StandardMemberRenamer.Default);
        foreach (var (name, value) in extra ?? new Dictionary<string, object?>())
            globals.SetValue(name, value, readOnly: true);
        TemplateFunctions.AddTo(globals);

        var context = new TemplateContext
        {
            StrictVariables = true,
            EnableRelaxedMemberAccess = false,
            MemberRenamer = StandardMemberRenamer.Default,
            TemplateLoader = new SourceLoader(_source),
            LoopLimit = 1_000_000, // a guard against a runaway loop; a 10k-service lab's DNS records loop 10k times
        };
        context.PushGlobal(globals);
        try
        {
            return template.Render(context);
        }
        catch (ScriptRuntimeException e)
        {
            throw new TemplateException([ToDiagnostic(e.Span, e.OriginalMessage, _source.Describe(path))]);
        }
    }

    /// <summary>Parses a template and returns its problems (empty when it parses).</summary>
    public IReadOnlyList<TemplateDiagnostic> Check(string path)
    {
        try
        {
            Parse(path);
            return [];
        }
        catch (TemplateException e)
        {
            return e.Diagnostics;
        }
    }

    private Template Parse(string path)
    {
        lock (_lock)
        {
            if (_parsed.TryGetValue(path, out var cached))
                return cached;
            var text = _source.Read(path)
                ?? throw new TemplateException([new TemplateDiagnostic(_source.Describe(path), 0, 0, "template not found")]);
            var template = Template.Parse(text, _source.Describe(path));
            if (template.HasErrors)
                throw new TemplateException([.. template.Messages.Select(m => ToDiagnostic(m.Span, m.Message, _source.Describe(path)))]);
            _parsed[path] = template;
            return template;
        }
    }

    private static TemplateDiagnostic ToDiagnostic(SourceSpan span, string message, string fallbackFile) =>
        new(string.IsNullOrEmpty(span.FileName) ? fallbackFile : span.FileName, span.Start.Line + 1, span.Start.Column + 1, message);

    /// <summary>Lets templates <c>include</c> other templates from the same source.</summary>
    private sealed class SourceLoader(ITemplateSource source) : ITemplateLoader
    {
        public string GetPath(TemplateContext context, SourceSpan callerSpan, string templateName) => templateName;

        public string Load(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
            source.Read(templatePath) ?? throw new ScriptRuntimeException(callerSpan, $"included template '{templatePath}' not found");

        public ValueTask<string?> LoadAsync(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
            ValueTask.FromResult<string?>(Load(context, callerSpan, templatePath));
    }
}
