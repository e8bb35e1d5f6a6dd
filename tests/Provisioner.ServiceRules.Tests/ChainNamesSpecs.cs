using Provisioner.ServiceRules.Naming;

namespace Provisioner.ServiceRules.Tests;

public sealed class ChainNamesSpecs
{
    [Theory]
    [InlineData("default/kubernetes:https", "tcp", "NPX46M4PTMTKRN6Y")]
    [InlineData("kube-system/kube-dns:dns", "udp", "TCOU7JCQXEZGVUNU")]
    [InlineData("kube-system/kube-dns:dns-tcp", "tcp", "ERIFXISQEP7F7OF4")]
    public void It_hashes_service_ports_exactly_as_kube_proxy_does(string servicePortName, string protocol, string kubeProxyHash) =>
        Assert.Equal(kubeProxyHash, ChainNames.PortProtoHash(servicePortName, protocol));

    [Fact]
    public void Chain_names_keep_the_kube_proxy_hash_behind_the_NETLAB_prefix_within_28_characters()
    {
        var names = new[]
        {
            ChainNames.ServiceChain("kube-system/kube-dns:dns", "udp"),
            ChainNames.LocalServiceChain("kube-system/kube-dns:dns", "udp"),
            ChainNames.ExternalChain("kube-system/kube-dns:dns", "udp"),
            ChainNames.EndpointChain("kube-system/kube-dns:dns", "udp", "10.244.1.5:53"),
            ChainNames.ExternalServices,
        };

        Assert.Equal("NETLAB-SVC-TCOU7JCQXEZGVUNU", names[0]);
        Assert.All(names, n => Assert.InRange(n.Length, 1, 28));
        Assert.NotEqual(names[3], ChainNames.EndpointChain("kube-system/kube-dns:dns", "udp", "10.244.1.6:53"));
    }
}
