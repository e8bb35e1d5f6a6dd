using Provisioner.Core.Config;

namespace Provisioner.Core.Tests.Model;

public class ConfigKeysSpecs
{
    [Fact]
    public void It_sets_a_top_level_key_without_path() =>
        Assert.Equal("pulumi config set name mylab", ConfigKeys.SetCommand("name", "mylab"));

    [Fact]
    public void It_sets_a_nested_key_with_path_quoted_for_the_shell() =>
        Assert.Equal("pulumi config set --path 'network.fabric' routed", ConfigKeys.SetCommand("network.fabric", "routed"));

    [Fact]
    public void It_sets_a_list_entry_with_path() =>
        Assert.Equal("pulumi config set --path 'nodes[0].cpus' 2", ConfigKeys.SetCommand("nodes[0].cpus", "2"));

    [Fact]
    public void It_lists_every_top_level_key_once()
    {
        Assert.Equal(ConfigKeys.All.Count, ConfigKeys.All.Distinct().Count());
        Assert.Equal(["name", "backend", "image", "kubernetes", "network", "nodes", "pods", "services", "namespaces", "networkPolicies"], ConfigKeys.All);
    }
}
