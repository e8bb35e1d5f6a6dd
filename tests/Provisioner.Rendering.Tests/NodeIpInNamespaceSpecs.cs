using System.Runtime.Versioning;
using Provisioner.Host.Processes;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Rendering.Tests;

/// <summary>node-ip.sh against the real <c>ip</c> in a network namespace with a NAT-like and a Multipass-like address.</summary>
[Collection(PrivilegedCollection.Name)]
[UnsupportedOSPlatform("windows")]
public sealed class NodeIpInNamespaceSpecs : IDisposable
{
    private readonly TestNetns _netns = new();
    private readonly ScriptSandbox _sandbox = new(Stacks.Dev, "worker1");

    public void Dispose()
    {
        _netns.Dispose();
        _sandbox.Dispose();
    }

    [PrivilegedFact]
    public void The_real_ip_output_yields_the_address_in_the_node_network_and_not_the_NAT_one()
    {
        var ns = _netns.Create();
        // A veth pair inside the namespace gives two interfaces (this kernel has no dummy links).
        ProcessRunner.Default.Run("ip", "-n", ns, "link", "add", "nat0", "type", "veth", "peer", "name", "mp0");
        foreach (var (link, cidr) in new[] { ("nat0", "10.0.2.15/24"), ("mp0", "192.168.64.7/24") })
        {
            ProcessRunner.Default.Run("ip", "-n", ns, "addr", "add", cidr, "dev", link);
            ProcessRunner.Default.Run("ip", "-n", ns, "link", "set", link, "up");
        }

        var result = _netns.Exec(ns, _sandbox.Paths.Script(NodeFiles.NodeIp));

        Assert.True(result.Succeeded, result.StandardError);
        Assert.Equal("192.168.64.7", result.StandardOutput.Trim());
    }
}
