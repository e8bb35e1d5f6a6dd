using Provisioner.Rendering.Templates;
using Xunit;

namespace Provisioner.Rendering.Tests;

/// <summary>
/// A test of the CNI conflist template, skipped only while templates/cni/10-netlab.conflist.sbn is absent (it belongs to
/// netlab-cni and arrives when that branch is merged); once it exists the test runs and must pass.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ConflistTemplateFactAttribute : FactAttribute
{
    public ConflistTemplateFactAttribute()
    {
        if (!TemplateRenderer.Embedded.Exists(NodeFiles.ConflistTemplate))
            Skip = "templates/cni/10-netlab.conflist.sbn is not in this tree yet (netlab-cni's branch adds it)";
    }
}
