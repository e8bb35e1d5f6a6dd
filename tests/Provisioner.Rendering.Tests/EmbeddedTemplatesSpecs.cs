using Provisioner.Rendering.Templates;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Rendering.Tests;

public class EmbeddedTemplatesSpecs
{
    [Fact]
    public void Every_template_in_the_repository_is_embedded_in_the_assembly()
    {
        var onDisk = Directory.EnumerateFiles(RepoPaths.Of("templates"), "*.sbn", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(RepoPaths.Of("templates"), f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);
        Assert.Equal(onDisk, EmbeddedTemplateSource.All());
    }
}
