using System.Net;
using System.Net.Sockets;
using Provisioner.VmLab.Tests.Support;
using Provisioner.VmLab.Verify;
using Xunit;

namespace Provisioner.VmLab.Tests;

/// <summary>This machine's HTTP to a NodePort, against real servers on loopback.</summary>
public sealed class HostHttpSpecs
{
    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    [Fact]
    public async Task I_get_the_name_netexec_answers_on_hostname()
    {
        var port = FreePort();
        using var server = new LoopbackNodePorts();
        server.Answer(IPAddress.Loopback, port, "api-1");

        Assert.Equal(("api-1", (string?)null), await new HostHttp().GetAsync(IPAddress.Loopback, port, "/hostname"));
    }

    [Fact]
    public async Task A_port_nothing_listens_on_is_refused_plainly()
    {
        var (body, error) = await new HostHttp().GetAsync(IPAddress.Loopback, FreePort(), "/hostname");

        Assert.Null(body);
        Assert.Equal("connection refused (nothing listening, or a REJECT rule)", error);
    }
}
