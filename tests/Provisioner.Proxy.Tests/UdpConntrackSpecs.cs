using Provisioner.Host.Processes;
using Provisioner.Proxy.Tests.Lab;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;
using Provisioner.Testing;
using static Provisioner.Proxy.Tests.Fakes.Api;
using static Provisioner.ServiceRules.Tests.Lab.TwoNodeLab;
using ServicePort = Provisioner.ServiceRules.Model.ServicePort;

namespace Provisioner.Proxy.Tests;

/// <summary>
/// kube-proxy's classic UDP bug: a UDP flow keeps its conntrack DNAT to the endpoint it first reached, so when that
/// endpoint is replaced (a CoreDNS pod rolled) the client's queries from the same source port still go to the old
/// one. netlab proxy deletes those entries when it removes the endpoint; the next query reaches the new one.
/// </summary>
[Collection(PrivilegedCollection.Name)]
public sealed class UdpConntrackSpecs(LabFixture fixture) : IClassFixture<LabFixture>
{
    private const int DnsPort = 5353;
    private const int ClientPort = 40053;
    private const string DnsIp = "10.96.0.53";

    /// <summary>
    /// A UDP server answering every datagram with the pod's name, in the pod's namespace. Started without pipes
    /// (a runner waiting for its output would wait forever) and killed by the caller.
    /// </summary>
    private static System.Diagnostics.Process StartUdpServer(string netns, string pod)
    {
        var start = new System.Diagnostics.ProcessStartInfo("ip") { UseShellExecute = false };
        foreach (var argument in (string[])["netns", "exec", netns, "python3", "-c",
            "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('0.0.0.0'," + DnsPort + "))\n" +
            "while True:\n d,a=s.recvfrom(512)\n s.sendto(b'" + pod + "',a)\n"])
            start.ArgumentList.Add(argument);
        return System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException("could not start python3");
    }

    /// <summary>One query from a fixed source port (so every query is the same conntrack flow); the answering pod or "timeout".</summary>
    private static string Query(string netns)
    {
        var result = ProcessRunner.Default.TryRunAsync("timeout", ["5", "ip", "netns", "exec", netns, "python3", "-c",
            "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n" +
            $"s.bind(('0.0.0.0',{ClientPort}))\ns.settimeout(2)\ns.sendto(b'q',('{DnsIp}',53))\n" +
            "try:\n print(s.recvfrom(512)[0].decode())\nexcept OSError:\n print('timeout')\n"]).GetAwaiter().GetResult();
        return result.StandardOutput.Trim();
    }

    private static async Task<string> QueryUntil(string netns, string expected)
    {
        var answer = "";
        for (var i = 0; i < 50 && answer != expected; i++)
        {
            answer = Query(netns);
            if (answer != expected)
                await Task.Delay(200);
        }
        return answer;
    }

    [PrivilegedFact]
    public async Task A_UDP_flow_reaches_the_new_endpoint_once_its_old_one_is_removed()
    {
        var lab = fixture.Lab;
        using var a1 = StartUdpServer(lab.Pod("a1"), "a1");
        using var b1 = StartUdpServer(lab.Pod("b1"), "b1");
        try
        {
            await StaleFlowIsDeleted(lab);
        }
        finally
        {
            a1.Kill();
            b1.Kill();
        }
    }

    private static async Task StaleFlowIsDeleted(Provisioner.ServiceRules.Tests.Lab.TwoNodeLab lab)
    {
        await using var proxy = await ProxyLab.StartAsync(lab, RuleBackend.Iptables);
        var port = new ServicePort("dns", 53, DnsPort, ServiceProtocol.UDP);
        (string, int, string)[] dns = [("dns", DnsPort, "UDP")];
        proxy.Api.Upsert(Service("dns", DnsIp, Port("dns", 53, DnsPort, "UDP")));
        proxy.Api.Upsert(Slice("dns-1", "dns", dns, Endpoint("10.244.1.2", "node-a")));
        await proxy.ConvergedAsync(ProxyLab.Expected("dns", DnsIp, port, "a1"));
        Assert.Equal("a1", await QueryUntil(lab.Pod("ac"), "a1"));

        proxy.Api.Upsert(Slice("dns-1", "dns", dns, Endpoint("10.244.2.2", "node-b"))); // a1 replaced by b1
        await proxy.ConvergedAsync(ProxyLab.Expected("dns", DnsIp, port, "b1"));

        Assert.Equal("b1", Query(lab.Pod("ac"))); // without the conntrack deletion this is still a1, from the stale flow
        await proxy.Proxy.LineAsync(0, "conntrack deletion");
        var flows = ProcessRunner.Default.TryRunAsync("ip", ["netns", "exec", lab.NodeA, "conntrack", "-L", "-p", "udp", "--orig-dst", DnsIp])
            .GetAwaiter().GetResult().StandardOutput;
        Assert.DoesNotContain("src=10.244.1.2", flows);
    }
}
