using Provisioner.Rendering.Models;
using Xunit;

namespace Provisioner.Rendering.Tests;

public class LabRendererSpecs
{
    [Fact]
    public void A_control_plane_node_gets_the_init_config_and_init_scripts_and_a_worker_the_join_ones()
    {
        var cp = LabRenderer.RenderNode(Stacks.Dev, "cp1").Select(f => f.RelativePath).ToList();
        var worker = LabRenderer.RenderNode(Stacks.Dev, "worker1").Select(f => f.RelativePath).ToList();

        Assert.Contains(NodeFiles.KubeadmInit, cp);
        Assert.Contains("scripts/kubeadm-init.sh", cp);
        Assert.Contains("scripts/print-join-command.sh", cp);
        Assert.DoesNotContain(NodeFiles.KubeadmJoin, cp);
        Assert.Contains(NodeFiles.KubeadmJoin, worker);
        Assert.Contains("scripts/kubeadm-join.sh", worker);
        Assert.DoesNotContain("scripts/kubeadm-init.sh", worker);
        foreach (var common in new[] { NodeFiles.UserData, "scripts/prepare-node.sh", "scripts/wait-for-cloud-init.sh", "scripts/node-ip.sh", "scripts/install-cni.sh" })
        {
            Assert.Contains(common, cp);
            Assert.Contains(common, worker);
        }
    }

    [Fact]
    public void Each_file_says_where_it_goes_on_the_node_and_how_it_gets_there()
    {
        var files = LabRenderer.RenderNode(Stacks.Dev, "worker1").ToDictionary(f => f.RelativePath);

        Assert.Equal(FileDelivery.LaunchUserData, files[NodeFiles.UserData].Delivery);
        Assert.Null(files[NodeFiles.UserData].NodePath);
        Assert.Equal(FileDelivery.InsideUserData, files["scripts/prepare-node.sh"].Delivery);
        Assert.Equal("/etc/netlab/kubeadm/join.yaml", files[NodeFiles.KubeadmJoin].NodePath);
        Assert.Equal("0600", files[NodeFiles.KubeadmJoin].OctalMode);
        Assert.Equal("/opt/netlab/bin/kubeadm-join.sh", files["scripts/kubeadm-join.sh"].NodePath);
        Assert.Equal("0755", files["scripts/kubeadm-join.sh"].OctalMode);
        Assert.All(files.Values.Where(f => f.Delivery == FileDelivery.Transfer), f => Assert.StartsWith("/", f.NodePath));
    }

    [Fact]
    public void Rendering_is_deterministic_and_hashes_change_only_with_the_content()
    {
        var first = LabRenderer.RenderNode(Stacks.Dev, "cp1");
        var again = LabRenderer.RenderNode(Stacks.Dev, "cp1");
        var otherMinor = LabRenderer.RenderNode(Stacks.Dev with { Lab = Stacks.Dev.Lab with { Kubernetes = Stacks.Dev.Lab.Kubernetes with { Version = "1.34" } } }, "cp1");

        Assert.Equal(first.Select(f => f.Sha256), again.Select(f => f.Sha256));
        Assert.Equal(64, first[0].Sha256.Length);
        Assert.NotEqual(first.Single(f => f.RelativePath == NodeFiles.UserData).Sha256, otherMinor.Single(f => f.RelativePath == NodeFiles.UserData).Sha256);
        Assert.Equal(first.Single(f => f.RelativePath == "scripts/node-ip.sh").Sha256, otherMinor.Single(f => f.RelativePath == "scripts/node-ip.sh").Sha256);
        Assert.Equal(LabRenderer.Sha256Of(first), LabRenderer.Sha256Of(again));
        Assert.NotEqual(LabRenderer.Sha256Of(first), LabRenderer.Sha256Of(otherMinor));
    }

    [Fact]
    public void The_hash_covers_the_mode_too()
    {
        var file = LabRenderer.RenderNode(Stacks.Dev, "cp1")[0];
        Assert.NotEqual(file.Sha256, (file with { Mode = RenderedFile.Private }).Sha256);
    }

    [Fact]
    public void It_refuses_a_node_that_is_not_in_the_stack()
    {
        Assert.Throws<KeyNotFoundException>(() => LabRenderer.RenderNode(Stacks.Dev, "nope"));
    }

    [Fact]
    public void The_conflist_model_follows_the_plan_and_the_fabric()
    {
        var ovs = RenderModels.Conflist(Stacks.Dev, "worker1");
        var bridge = RenderModels.Conflist(Stacks.LinuxVxlanKubeProxy, "w1");

        Assert.Equal("ovs", ovs.Mode);
        Assert.Equal("bridge", bridge.Mode);
        Assert.Equal("netlab0", ovs.Bridge);
        Assert.Equal("10.244.1.0/24", ovs.Subnet);
        Assert.Equal("10.244.1.1", ovs.Gateway);
        Assert.Equal("10.244.1.2", ovs.RangeStart);
        Assert.Equal("10.244.1.254", ovs.RangeEnd);
        Assert.Equal(1450, ovs.Mtu);
        Assert.Equal(8950, bridge.Mtu);
        Assert.Equal("system", ovs.Datapath);
        Assert.Equal("10.96.0.10", ovs.ClusterDns);
        Assert.Equal("default.svc.cluster.local svc.cluster.local cluster.local", string.Join(" ", ovs.DnsSearch));
        Assert.Equal("10.32.0.128/25", bridge.Subnet);
    }
}
