using System.Collections.Immutable;
using Provisioner.Core.Validation;
using Provisioner.Deploy;
using Xunit;

namespace Provisioner.Deploy.Tests;

public sealed class BuildingBlocksSpecs
{
    private const string InfoJson = """
        {
            "errors": [],
            "info": {
                "dev-cp1": {
                    "cpu_count": "2",
                    "image_release": "24.04 LTS",
                    "ipv4": ["10.0.2.15", "192.168.64.7"],
                    "release": "Ubuntu 24.04.1 LTS",
                    "state": "Running"
                }
            }
        }
        """;

    [Fact]
    public void It_quotes_every_literal_word_and_expands_only_named_variables()
    {
        Assert.Equal("echo 'a b; rm -rf /' 'it'\\''s'", Shell.Command("echo", "a b; rm -rf /", "it's"));
        Assert.Equal("run \"${NETLAB_X}\" n1=\"${NETLAB_Y}\"", Shell.Command("run", Arg.Variable("NETLAB_X"), Arg.LiteralThenVariable("n1=", "NETLAB_Y")));
        Assert.Throws<ArgumentException>(() => Arg.Variable("X; rm"));
    }

    [Fact]
    public void I_can_read_the_vm_address_inside_the_node_network_and_not_its_nat_address()
    {
        var deployment = Labs.Multipass(lab: Labs.Example with { Network = Labs.Example.Network with { NodeCidr = "192.168.64.0/24" } });
        var cp1 = deployment.Node("cp1");
        Assert.Equal("address-cp1", cp1.AddressStepId);
        Assert.Equal(new AddressChoice("192.168.64.7", null), deployment.AddressFrom(cp1, InfoJson));

        var elsewhere = Labs.Multipass(lab: Labs.Example with { Network = Labs.Example.Network with { NodeCidr = "10.9.0.0/24" } });
        var guessed = elsewhere.AddressFrom(elsewhere.Node("cp1"), InfoJson);
        Assert.Equal("10.0.2.15", guessed.Address);
        Assert.Contains("pulumi config set --path 'network.nodeCidr'", guessed.Warning, StringComparison.Ordinal);
        Assert.Contains("multipass list", Assert.ThrowsAny<Exception>(() => deployment.AddressFrom(deployment.Node("worker1"), InfoJson)).ToString(),
            StringComparison.Ordinal);
    }

    [Fact]
    public void It_refuses_steps_that_depend_on_unknown_or_circular_steps()
    {
        CommandStep Step(string id, params string[] deps) => new() { Id = id, PlanStepId = id, Kind = null, Summary = id, Create = "true", DependsOn = [.. deps] };

        Assert.Equal(["a", "b"], DeploymentPlan.Ordered([Step("b", "a"), Step("a")]).Select(s => s.Id));
        Assert.Contains("'x', which is not a step", Assert.Throws<InvalidOperationException>(() => DeploymentPlan.Ordered([Step("a", "x")])).Message, StringComparison.Ordinal);
        Assert.Contains("circle", Assert.Throws<InvalidOperationException>(() => DeploymentPlan.Ordered([Step("a", "b"), Step("b", "a")])).Message, StringComparison.Ordinal);
        Assert.Contains("two command steps", Assert.Throws<InvalidOperationException>(() => DeploymentPlan.Ordered([Step("a"), Step("a")])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void It_refuses_a_bad_config_with_every_problem_and_its_pulumi_config_set_fix()
    {
        var values = new Dictionary<string, string>
        {
            ["nodes"] = """[{"name":"Bad_Name","role":"control-plane","cpus":"1"}]""",
            ["network"] = """{"fabric":"token-ring"}""",
        };
        var error = Assert.Throws<LabConfigException>(() => DeploymentPlanner.FromConfig(values.GetValueOrDefault, Labs.Options,
            RenderedNodeFiles.Instance, NodeComponents.Instance));

        Assert.Contains(error.Problems, p => p.Key == "network.fabric" && p.Fix.Contains("pulumi config set --path 'network.fabric'", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Key.StartsWith("nodes[0]", StringComparison.Ordinal) && p.Fix.Contains("pulumi config set", StringComparison.Ordinal));
        Assert.True(error.Problems.Count >= 3);
    }

    [Fact]
    public void I_can_name_address_and_trigger_variables_from_any_node_or_key()
    {
        Assert.Equal("NETLAB_ADDRESS_WORKER_1", EnvironmentName.ForAddress("worker-1"));
        Assert.Equal("NETLAB_TRIGGER_FILE_SCRIPTS_INSTALL_CNI_SH", EnvironmentName.ForTrigger("file.scripts/install-cni.sh"));
    }

    [Fact]
    public void I_can_write_the_local_files_once_and_leave_unchanged_ones_alone()
    {
        var root = Directory.CreateTempSubdirectory("netlab-deploy-").FullName;
        try
        {
            ImmutableArray<LocalFile> files = [new(".netlab/dev/cp1/user-data", "#cloud-config\n", "x")];
            Assert.Equal(1, LocalFiles.Write(root, files));
            Assert.Equal(0, LocalFiles.Write(root, files));
            Assert.Equal("#cloud-config\n", File.ReadAllText(Path.Combine(root, ".netlab/dev/cp1/user-data")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
