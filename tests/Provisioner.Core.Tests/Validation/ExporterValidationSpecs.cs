using Provisioner.Core.Model;
using Provisioner.Core.Tests.Support;
using Xunit;

namespace Provisioner.Core.Tests.Validation;

/// <summary><c>network.exporterBindAddress</c>: where netlab-metrics listens on each VM node.</summary>
public class ExporterValidationSpecs
{
    [Theory]
    [InlineData("9108")]
    [InlineData("0.0.0.0")]
    [InlineData("localhost:9108")]
    [InlineData("[::]:9108")]
    [InlineData("0.0.0.0:0")]
    [InlineData("0.0.0.0:70000")]
    public void It_refuses_an_exporter_address_that_is_not_an_IPv4_address_and_port(string address)
    {
        var lab = Labs.Valid().WithNetwork(n => n with { ExporterBindAddress = address });
        Problems.Only(lab).Names("network.exporterBindAddress", address).Says("is not an IPv4 ADDRESS:PORT")
            .Fixes("pulumi config set --path 'network.exporterBindAddress' 0.0.0.0:9108");
    }

    [Theory]
    [InlineData("0.0.0.0:10249", "netlab-proxy's /metrics")]
    [InlineData("127.0.0.1:10256", "netlab-proxy's /healthz")]
    [InlineData("0.0.0.0:10250", "the kubelet")]
    public void It_refuses_a_port_another_component_of_every_node_listens_on(string address, string owner)
    {
        var lab = Labs.Valid().WithNetwork(n => n with { ExporterBindAddress = address });
        Problems.Only(lab).Names("network.exporterBindAddress", address).Says(owner);
    }

    [Fact]
    public void The_default_is_every_address_of_the_node_on_netlabs_metrics_port()
    {
        Assert.Equal("0.0.0.0:9108", new NetworkSpec().ExporterBindAddress);
        Assert.Empty(Problems.Of(Labs.Valid().WithNetwork(n => n with { ExporterBindAddress = "192.168.64.11:9300" })));
    }
}
