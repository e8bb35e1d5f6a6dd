using Provisioner.Core.Tests.Support;

namespace Provisioner.Core.Tests.Validation;

public class PinnedPodSubnetSpecs
{
    [Fact]
    public void I_can_pin_a_node_s_pod_subnet_in_the_stack_file()
    {
        var lab = Stacks.Load(Stacks.ExampleYaml);

        Assert.Equal(["10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24"], lab.Nodes.Select(n => n.PodCidr));
        Assert.Empty(Problems.Of(lab));
        Assert.Null(Stacks.Load(Stacks.Minimal).Nodes[0].PodCidr);
    }

    [Theory]
    [InlineData("10.244.1.0/25", "must be a /24 (network.nodePodPrefix)")]
    [InlineData("10.245.1.0/24", "is not inside network.podCidr (10.244.0.0/16)")]
    [InlineData("10.244.1.1/24", "has host bits set")]
    [InlineData("worker1", "is not an IPv4 CIDR")]
    public void It_refuses_a_pinned_pod_subnet_that_is_not_a_node_slice_of_the_pod_cidr(string pinned, string message)
    {
        var lab = Labs.Valid().WithNode(1, n => n with { PodCidr = pinned });

        Problems.Only(lab).Names("nodes[1].podCidr", pinned).Says(message)
            .FixedBySetting("nodes[1].podCidr", "10.244.1.0/24").Fixes("pulumi config rm --path 'nodes[1].podCidr'");
    }

    [Fact]
    public void It_refuses_two_nodes_pinned_to_one_subnet()
    {
        var lab = Labs.Valid().WithNode(1, n => n with { PodCidr = "10.244.7.0/24" }).WithNode(2, n => n with { PodCidr = "10.244.7.0/24" });

        Problems.Only(lab).Names("nodes[2].podCidr", "10.244.7.0/24").Says("is also node worker1's pod subnet; each node needs its own");
    }
}
