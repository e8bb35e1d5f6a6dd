using Provisioner.Core.Config;
using Provisioner.Core.Model;
using Provisioner.Core.Tests.Support;

namespace Provisioner.Core.Tests.Config;

/// <summary>The stack read from YamlDotNet's parser events: what YAML allows is read, what it refuses is named with its line.</summary>
public sealed class YamlTreeSpecs
{
    [Fact]
    public void An_alias_reads_as_the_anchored_value()
    {
        var lab = Stacks.Load("""
            config:
              netlab:nodes:
                - { name: cp1, role: control-plane }
              netlab:pods:
                - { name: web-1, node: cp1, labels: &web { app: web, tier: front } }
              netlab:services:
                - { name: web, selector: *web, ports: [ { port: 80 } ] }
            """);

        Assert.Equal(lab.Pods[0].Labels, lab.Services[0].Selector);
        Assert.Equal("front", lab.Services[0].Selector["tier"]);
    }

    [Fact]
    public void An_alias_to_no_anchor_is_refused_with_its_line()
    {
        const string yaml = """
            config:
              netlab:nodes:
                - { name: cp1, role: control-plane }
              netlab:services:
                - { name: web, selector: *nothing, ports: [ { port: 80 } ] }
            """;
        Assert.Single(Stacks.ProblemsOf(yaml, "Pulumi.x.yaml")).Says("is not valid YAML at line 5");
    }

    [Fact]
    public void A_duplicated_key_in_a_large_mapping_is_refused_with_its_line()
    {
        var labels = string.Concat(Enumerable.Range(0, 40).Select(i => $"    l{i}: v\n"));
        var yaml = $"config:\n  netlab:nodes: [ {{ name: cp1, role: control-plane }} ]\n  netlab:pods:\n  - name: p\n    node: cp1\n    labels:\n{labels}    l7: again\n";

        Assert.Single(Stacks.ProblemsOf(yaml, "Pulumi.x.yaml")).Says("is not valid YAML at line 47");
    }

    [Fact]
    public void Only_the_first_document_is_the_stack_but_every_document_must_be_valid_yaml()
    {
        Assert.Equal("cp1", Stacks.Load(Stacks.Minimal + "\n---\nother: document\n").Nodes.Single().Name);
        Assert.Single(Stacks.ProblemsOf(Stacks.Minimal + "\n---\nother: [unclosed\n", "Pulumi.x.yaml")).Says("is not valid YAML");
    }

    [Fact]
    public void A_key_that_is_not_a_scalar_is_named_by_no_read_and_breaks_nothing()
    {
        var lab = Stacks.Load(Stacks.Minimal + "\n  ? [a, b]\n  : value\n");
        Assert.Equal(NodeRole.ControlPlane, lab.Nodes.Single().Role);
    }
}
