using Provisioner.Core.Model;
using Provisioner.Core.Tests.Support;

namespace Provisioner.Core.Tests.Validation;

public class NodeValidationSpecs
{
    private const string NameRule = "must be 1-12 characters of lowercase letters, digits and '-', starting with a letter and not ending with '-'";

    [Fact]
    public void It_refuses_duplicate_node_names()
    {
        var lab = Labs.Valid().WithNode(2, w => w with { Name = "worker1" }) with { Pods = [], Services = [] };
        Problems.Only(lab).Names("nodes[2].name", "worker1").Says("is used by another node")
            .FixedBySetting("nodes[2].name", "worker1b");
    }

    [Theory]
    [InlineData("Worker1")]
    [InlineData("worker_1")]
    [InlineData("abcdefghijklm")]
    [InlineData("1worker")]
    [InlineData("worker-")]
    [InlineData("-worker")]
    [InlineData("worker.1")]
    [InlineData("")]
    public void It_refuses_a_node_name_that_cannot_be_a_hostname_and_interface_name(string name)
    {
        var lab = Labs.Valid().WithNode(2, w => w with { Name = name }) with { Pods = [], Services = [] };
        Problems.Only(lab).Names("nodes[2].name", name).Says(NameRule).FixedBySetting("nodes[2].name", "worker1");
    }

    [Theory]
    [InlineData("w")]
    [InlineData("abcdefghijkl")]
    [InlineData("node-2a")]
    public void It_accepts_a_short_lowercase_dns_label_as_node_name(string name) =>
        Assert.Empty(Problems.Of(Labs.Valid().WithNode(2, w => w with { Name = name }) with { Pods = [], Services = [] }));

    [Theory]
    [InlineData("My-Lab")]
    [InlineData("a-lab-name-too-long")]
    [InlineData("lab_1")]
    public void It_refuses_a_lab_name_that_cannot_prefix_vm_and_interface_names(string name)
    {
        Problems.Only(Labs.Valid() with { Name = name }).Names("name", name).Says(NameRule).FixedBySetting("name", "mylab");
    }

    [Fact]
    public void It_refuses_a_stack_without_nodes()
    {
        var lab = Labs.Valid() with { Nodes = [], Pods = [], Services = [] };
        Problems.Only(lab).Names("nodes", null).Says("lists no nodes")
            .Fixes("pulumi config set --path 'nodes[0].name' cp1").Fixes("pulumi config set --path 'nodes[0].role' control-plane");
    }

    [Fact]
    public void It_refuses_a_stack_without_a_control_plane()
    {
        var lab = Labs.Valid().WithNode(0, cp => cp with { Role = NodeRole.Worker });
        Problems.Only(lab).Names("nodes", null).Says("has no control-plane node")
            .Fixes("pulumi config set --path 'nodes[0].role' control-plane");
    }

    [Fact]
    public void It_refuses_two_control_planes()
    {
        var lab = Labs.Valid().WithNode(1, w => Labs.ControlPlane(w.Name));
        Problems.Only(lab).Names("nodes", "2 control-plane nodes").Says("single control-plane clusters").Fixes("make the others workers");
    }

    [Fact]
    public void It_refuses_a_control_plane_below_2_cpus()
    {
        var lab = Labs.Valid().WithNode(0, cp => cp with { Cpus = 1 });
        Problems.Only(lab).Names("nodes[0].cpus", "1").Says("below kubeadm's minimum of 2 CPUs for a control-plane node")
            .FixedBySetting("nodes[0].cpus", "2");
    }

    [Fact]
    public void It_refuses_a_control_plane_below_2_GiB()
    {
        var lab = Labs.Valid().WithNode(0, cp => cp with { Memory = new ByteSize(2 * ByteSize.GiB - ByteSize.MiB) });
        Problems.Only(lab).Names("nodes[0].memory", "2047M").Says("below kubeadm's minimum of 2G for a control-plane node")
            .FixedBySetting("nodes[0].memory", "2G");
    }

    [Fact]
    public void It_refuses_a_worker_below_1_GiB()
    {
        var lab = Labs.Valid().WithNode(1, w => w with { Memory = new ByteSize(512 * ByteSize.MiB) });
        Problems.Only(lab).Names("nodes[1].memory", "512M").Says("below kubeadm's minimum of 1G for a worker")
            .FixedBySetting("nodes[1].memory", "1G");
    }

    [Fact]
    public void It_refuses_a_worker_without_a_cpu()
    {
        var lab = Labs.Valid().WithNode(2, w => w with { Cpus = 0 });
        Problems.Only(lab).Names("nodes[2].cpus", "0").Says("minimum of 1 CPUs for a worker").FixedBySetting("nodes[2].cpus", "1");
    }

    [Fact]
    public void It_refuses_a_disk_too_small_for_the_images()
    {
        var lab = Labs.Valid().WithNode(2, w => w with { Disk = ByteSize.FromGiB(4) });
        Problems.Only(lab).Names("nodes[2].disk", "4G").Says("at least 8G").FixedBySetting("nodes[2].disk", "20G");
    }

    [Fact]
    public void The_minimum_resources_are_enough()
    {
        var lab = Labs.Valid()
            .WithNode(0, cp => cp with { Cpus = 2, Memory = ByteSize.FromGiB(2), Disk = ByteSize.FromGiB(8) })
            .WithNode(1, w => w with { Cpus = 1, Memory = ByteSize.FromGiB(1), Disk = ByteSize.FromGiB(8) });
        Assert.Empty(Problems.Of(lab));
    }
}

public class KubernetesValidationSpecs
{
    [Theory]
    [InlineData("v1.35")]
    [InlineData("1.35.0")]
    [InlineData("latest")]
    [InlineData("2.1")]
    [InlineData("")]
    [InlineData("1.30")]
    [InlineData("1.9")]
    [InlineData("1.99999999999999")]
    public void It_refuses_a_kubernetes_version_that_is_not_a_supported_minor(string version)
    {
        var lab = Labs.Valid() with { Kubernetes = new KubernetesSpec { Version = version } };
        Problems.Only(lab).Names("kubernetes.version", version).Says("must be a Kubernetes minor version 1.31 or later, written as 1.NN")
            .FixedBySetting("kubernetes.version", "1.35");
    }

    [Theory]
    [InlineData("1.31")]
    [InlineData("1.35")]
    public void It_accepts_a_supported_minor(string version) =>
        Assert.Empty(Problems.Of(Labs.Valid() with { Kubernetes = new KubernetesSpec { Version = version } }));

    [Fact]
    public void It_refuses_an_empty_image()
    {
        Problems.Only(Labs.Valid() with { Image = " " }).Names("image", " ").Says("Ubuntu release").FixedBySetting("image", "24.04");
    }
}
