using System.Net;
using System.Net.Sockets;
using Provisioner.Core.Config;
using Provisioner.Core.Planning;
using Provisioner.Netns;
using Provisioner.Testing;

namespace Provisioner.Observability.Tests;

/// <summary>
/// One small netns lab (2 nodes, 3 pods, one service) shared by the tests of a class, brought up as <c>netlab up</c>
/// does, in the default state root so the real <c>netlab</c> commands find it from its stack file. Removed on dispose.
/// </summary>
public class LabFixture : IDisposable
{
    public LabFixture() : this("linux-vxlan", "iptables")
    {
    }

    protected LabFixture(string fabric, string rules)
    {
        Name = TestNames.Unique("ob");
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "netlab-" + Name);
        System.IO.Directory.CreateDirectory(Directory);
        StackPath = System.IO.Path.Combine(Directory, "Pulumi.test.yaml");
        File.WriteAllText(StackPath, $$"""
            config:
              netlab:name: {{Name}}
              netlab:backend: netns
              netlab:network:
                fabric: {{fabric}}
                serviceRules: {{rules}}
              netlab:nodes:
                - { name: cp1, role: control-plane, podCidr: 10.244.0.0/24 }
                - { name: w1, podCidr: 10.244.1.0/24 }
              netlab:pods:
                - { name: web-1, node: w1, labels: { app: web } }
                - { name: web-2, node: cp1, labels: { app: web } }
                - { name: client, node: cp1, labels: { app: client } }
              netlab:services:
                - { name: web, selector: { app: web }, ports: [ { port: 80, targetPort: 8080 } ] }
            """);
        if (!Privileges.IsRoot)
            return;
        var options = new NetnsOptions
        {
            CniPluginDirectory = AppContext.BaseDirectory,
            NetlabCommand = [Netlab],
        };
        Lab = NetnsLabBuilder.Create(LabPlan.For(StackFile.Load(StackPath)), options);
        try
        {
            Lab.UpAsync().GetAwaiter().GetResult();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Name { get; }
    public string Directory { get; }
    public string StackPath { get; }
    public NetnsLab? Lab { get; }

    /// <summary>The real netlab command, built next to the tests.</summary>
    public static string Netlab => System.IO.Path.Combine(AppContext.BaseDirectory, "netlab");

    public string Namespace(string pod) => Lab!.Layout.PodNamespace(pod);

    public IPAddress ClusterIP(string service) => Lab!.Plan.Addresses.Services.Single(s => s.Spec.Name == service).ClusterIP!;

    /// <summary>A loopback port free right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Lab?.DownAsync().GetAwaiter().GetResult();
        if (System.IO.Directory.Exists(Directory))
            System.IO.Directory.Delete(Directory, recursive: true);
        GC.SuppressFinalize(this);
    }
}

/// <summary>The same lab on the routed fabric with nftables rules.</summary>
public sealed class RoutedNftablesLab : LabFixture
{
    public RoutedNftablesLab() : base("routed", "nftables")
    {
    }
}

/// <summary>The same lab on the Open vSwitch fabric (userspace datapath) with iptables rules.</summary>
public sealed class OvsIptablesLab : LabFixture
{
    public OvsIptablesLab() : base("ovs-vxlan", "iptables")
    {
    }
}
