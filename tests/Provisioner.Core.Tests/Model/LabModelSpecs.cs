using Provisioner.Core.Model;
using Provisioner.Core.Tests.Support;

namespace Provisioner.Core.Tests.Model;

public class LabModelSpecs
{
    [Fact]
    public void A_lab_knows_its_control_plane_and_workers()
    {
        var lab = Labs.Valid();
        Assert.Equal("cp1", lab.ControlPlane.Name);
        Assert.Equal(["worker1", "worker2"], lab.Workers.Select(w => w.Name));
    }

    [Theory]
    [InlineData("None", true)]
    [InlineData("none", true)]
    [InlineData(null, false)]
    [InlineData("10.96.0.20", false)]
    public void A_service_is_headless_when_its_cluster_ip_is_None(string? clusterIp, bool headless) =>
        Assert.Equal(headless, new ServiceSpec { Name = "s", ClusterIP = clusterIp }.IsHeadless);

    [Fact]
    public void A_target_port_of_0_means_the_service_port() =>
        Assert.Equal((80, 8080), (Labs.Port(80).EffectiveTargetPort, Labs.Port(80, 8080).EffectiveTargetPort));

    [Fact]
    public void The_defaults_are_the_documented_ones()
    {
        var n = new NetworkSpec();
        Assert.Equal(("10.244.0.0/16", 24, "10.96.0.0/16", "192.168.64.0/24"), (n.PodCidr, n.NodePodPrefix, n.ServiceCidr, n.NodeCidr));
        Assert.Equal((FabricKind.OvsVxlan, 4242, 1500, 0, ServiceProxy.Netlab), (n.Fabric, n.Vni, n.UnderlayMtu, n.Mtu, n.ServiceProxy));
        Assert.Equal((30000, 32767), (n.NodePortMin, n.NodePortMax));
        Assert.Equal(("1.35", true), (new KubernetesSpec().Version, new KubernetesSpec().Containerd.SystemdCgroup));
        var node = new NodeSpec { Name = "n" };
        Assert.Equal((NodeRole.Worker, 2, "2G", "20G"), (node.Role, node.Cpus, node.Memory.ToString(), node.Disk.ToString()));
    }
}
