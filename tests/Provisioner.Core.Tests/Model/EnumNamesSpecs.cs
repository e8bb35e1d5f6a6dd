using Provisioner.Core.Model;

namespace Provisioner.Core.Tests.Model;

public class EnumNamesSpecs
{
    [Theory]
    [InlineData(FabricKind.OvsVxlan, "ovs-vxlan")]
    [InlineData(FabricKind.LinuxVxlan, "linux-vxlan")]
    [InlineData(FabricKind.Routed, "routed")]
    public void It_spells_each_fabric_as_the_stack_file_does(FabricKind kind, string name) =>
        Assert.Equal(name, EnumNames.Of(kind));

    [Fact]
    public void It_spells_roles_backends_proxies_rules_and_datapaths_in_kebab_case()
    {
        Assert.Equal("control-plane", EnumNames.Of(NodeRole.ControlPlane));
        Assert.Equal("worker", EnumNames.Of(NodeRole.Worker));
        Assert.Equal("multipass", EnumNames.Of(Backend.Multipass));
        Assert.Equal("netns", EnumNames.Of(Backend.Netns));
        Assert.Equal("netlab", EnumNames.Of(ServiceProxy.Netlab));
        Assert.Equal("kube-proxy", EnumNames.Of(ServiceProxy.KubeProxy));
        Assert.Equal("iptables", EnumNames.Of(RuleBackend.Iptables));
        Assert.Equal("nftables", EnumNames.Of(RuleBackend.Nftables));
        Assert.Equal("system", EnumNames.Of(OvsDatapath.System));
        Assert.Equal("netdev", EnumNames.Of(OvsDatapath.Netdev));
    }

    [Fact]
    public void It_refuses_a_fabric_that_is_not_defined() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => EnumNames.Of((FabricKind)42));

    [Fact]
    public void Every_fabric_name_reads_back_as_the_same_fabric()
    {
        foreach (var kind in Enum.GetValues<FabricKind>())
        {
            var (lab, problems) = Provisioner.Core.Config.LabConfigReader.Read(
                key => key == "network" ? $"{{\"fabric\": \"{EnumNames.Of(kind)}\"}}" : null, "lab");
            Assert.Empty(problems);
            Assert.Equal(kind, lab.Network.Fabric);
        }
    }
}
