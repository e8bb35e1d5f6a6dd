using Provisioner.Rendering.Templates;
using Xunit;

namespace Provisioner.Rendering.Tests;

public sealed class TemplateRendererSpecs : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "netlab-templates-" + Guid.NewGuid().ToString("N")[..8]);

    public TemplateRendererSpecs() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed record Model(string PodSubnet, Inner Node);

    private sealed record Inner(string Name);

    private TemplateRenderer With(string name, string text)
    {
        File.WriteAllText(Path.Combine(_dir, name), text);
        return new TemplateRenderer(new DirectoryTemplateSource(_dir));
    }

    [Fact]
    public void I_can_render_a_record_whose_members_are_snake_case_in_the_template()
    {
        var text = With("t.sbn", "{{ pod_subnet }} on {{ node.name }}").Render("t.sbn", new Model("10.244.1.0/24", new Inner("w1")));
        Assert.Equal("10.244.1.0/24 on w1", text);
    }

    [Fact]
    public void A_variable_the_model_does_not_have_fails_with_its_file_and_line_instead_of_rendering_empty()
    {
        var renderer = With("t.sbn", "line one\nsubnet: {{ pod_subnett }}\n");

        var error = Assert.Throws<TemplateException>(() => renderer.Render("t.sbn", new Model("10.244.1.0/24", new Inner("w1"))));

        var diagnostic = Assert.Single(error.Diagnostics);
        Assert.EndsWith("t.sbn", diagnostic.File);
        Assert.Equal(2, diagnostic.Line);
        Assert.Contains("pod_subnett", diagnostic.Message);
        Assert.Contains("t.sbn:2:", error.Message);
    }

    [Fact]
    public void A_member_the_model_does_not_have_fails_too()
    {
        var renderer = With("t.sbn", "{{ node.nmae }}");
        var error = Assert.Throws<TemplateException>(() => renderer.Render("t.sbn", new Model("x", new Inner("w1"))));
        Assert.Equal(1, error.Diagnostics[0].Line);
    }

    [Fact]
    public void A_parse_error_is_reported_with_file_line_and_column()
    {
        var renderer = With("bad.sbn", "ok\n{{ if pod_subnet }}\nno end\n");

        var diagnostics = renderer.Check("bad.sbn");

        Assert.NotEmpty(diagnostics);
        Assert.All(diagnostics, d => Assert.EndsWith("bad.sbn", d.File));
        Assert.Throws<TemplateException>(() => renderer.Render("bad.sbn", new Model("x", new Inner("w1"))));
    }

    [Fact]
    public void A_missing_template_is_an_error_naming_where_it_was_looked_for()
    {
        var error = Assert.Throws<TemplateException>(() => TemplateRenderer.Embedded.Render("nope/missing.sbn", new Model("x", new Inner("w1"))));
        Assert.Contains("templates/nope/missing.sbn", error.Message);
        Assert.Contains("template not found", error.Message);
    }

    [Fact]
    public void An_override_directory_wins_over_the_embedded_templates_and_falls_back_to_them()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "scripts"));
        File.WriteAllText(Path.Combine(_dir, "scripts", "node-ip.sh.sbn"), "overridden {{ node.hostname }}");
        var renderer = TemplateRenderer.WithOverride(_dir);

        var files = LabRenderer.RenderNode(Stacks.Dev, "worker1", renderer);

        Assert.Equal("overridden dev-worker1", files.Single(f => f.RelativePath == "scripts/node-ip.sh").Content);
        Assert.StartsWith("#cloud-config", files.Single(f => f.RelativePath == NodeFiles.UserData).Content);
    }

    [Fact]
    public void Every_embedded_template_parses()
    {
        Assert.All(EmbeddedTemplateSource.All(), path => Assert.Empty(TemplateRenderer.Embedded.Check(path)));
    }

    [Theory]
    [InlineData("plain", "'plain'")]
    [InlineData("it's", "'it'\\''s'")]
    public void Sh_quote_makes_one_shell_word(string input, string expected)
    {
        Assert.Equal(expected, With("q.sbn", "{{ pod_subnet | sh_quote }}").Render("q.sbn", new Model(input, new Inner(""))));
    }

    [Fact]
    public void Indent_prefixes_every_non_empty_line()
    {
        Assert.Equal("  a\n\n  b", With("i.sbn", "{{ pod_subnet | indent 2 }}").Render("i.sbn", new Model("a\n\nb\n", new Inner(""))));
    }
}
