using System.Globalization;
using System.Net;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Fabric.Convergence;
using Provisioner.Fabric.Model;
using Provisioner.Fabric.Ovs;
using Provisioner.Fabric.Planning;
using Provisioner.Host.Processes;
using Provisioner.Testing;

namespace Provisioner.Fabric.Tests;

/// <summary>
/// Nodes as namespaces on an underlay (a bridge in its own namespace, which also holds the "outside" address .1),
/// each with eth0 on the underlay, a private OVS for ovs-vxlan, and pods attached the way the CNI does.
/// Everything is deleted on dispose, even when a test fails.
/// </summary>
internal sealed class FabricTestLab : IDisposable
{
    public const string UnderlayInterface = "eth0";
    private static readonly ProcessRunner Run = ProcessRunner.Default;
    private readonly Dictionary<string, string> _nodeNetns = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OvsInstance> _ovs = new(StringComparer.Ordinal);

    public FabricTestLab(FabricKind kind)
    {
        Kind = kind;
        Underlay = Netns.Create("nlu");
        Ip(Underlay, "link", "add", "br0", "type", "bridge");
        Ip(Underlay, "link", "set", "br0", "up");
        Ip(Underlay, "address", "add", $"{Outside}/24", "dev", "br0");
    }

    public FabricKind Kind { get; }
    public TestNetns Netns { get; } = new();
    public string Underlay { get; }
    public FabricConverger Converger { get; } = new() { UnderlayWait = TimeSpan.FromSeconds(3) }; // the one unreachable-peer spec waits this long
    public static IPAddress Outside => IPAddress.Parse("192.168.64.1");
    public IReadOnlyDictionary<string, string> NodeNetns => _nodeNetns;

    public LabPlan Plan(int nodes) => LabPlan.For(Labs.Of(Kind, nodes));

    public NodeFabric Fabric(LabPlan plan, string node) =>
        FabricPlanner.For(plan, node, FabricPlanner.PlannedUnderlayAddresses(plan), new FabricOptions { UnderlayInterface = UnderlayInterface });

    public FabricTarget Target(string node) =>
        _ovs.TryGetValue(node, out var ovs) ? ovs.Target : FabricTarget.InNetns(_nodeNetns[node]);

    /// <summary>Creates the node namespace on the underlay with the plan's address (and its OVS, for ovs-vxlan).</summary>
    public async Task AddNodeAsync(LabPlan plan, string node)
    {
        var ns = Netns.Create("nln");
        _nodeNetns[node] = ns;
        var peer = TestNames.Unique("u");
        Run.Run("ip", "link", "add", peer, "netns", Underlay, "type", "veth", "peer", "name", UnderlayInterface, "netns", ns);
        Ip(Underlay, "link", "set", peer, "master", "br0", "up");
        Ip(ns, "link", "set", UnderlayInterface, "up");
        Ip(ns, "address", "add", $"{plan.Addresses.Node(node).UnderlayAddress}/{plan.Addresses.NodeCidr.Cidr}", "dev", UnderlayInterface);
        if (Kind == FabricKind.OvsVxlan)
        {
            var ovs = OvsInstance.ForNetns(node, ns);
            _ovs[node] = ovs;
            await ovs.StartAsync();
        }
    }

    public async Task<FabricChanges> ApplyAsync(LabPlan plan, string node) => await Converger.ApplyAsync(Fabric(plan, node), Target(node));

    public OvsInstance Ovs(string node) => _ovs[node];

    /// <summary>A pod: a namespace whose eth0 is a veth into the node bridge, with the k-th address of the node's range.</summary>
    public Pod AddPod(LabPlan plan, string node, int k, int? mtu = null)
    {
        var addresses = plan.Addresses.Node(node);
        var ns = Netns.Create("nlp");
        var hostSide = TestNames.Unique("v");
        var ip = Cidr.Nth(addresses.PodSubnet, 2 + k);
        Run.Run("ip", "link", "add", hostSide, "netns", _nodeNetns[node], "type", "veth", "peer", "name", "eth0", "netns", ns);
        var podMtu = (mtu ?? plan.Addresses.PodMtu).ToString(CultureInfo.InvariantCulture);
        Ip(_nodeNetns[node], "link", "set", hostSide, "mtu", podMtu, "up");
        if (Kind == FabricKind.OvsVxlan)
            Run.Run("ovs-vsctl", $"--db={_ovs[node].OvsDb}", "--timeout=10", "add-port", FabricNames.Bridge, hostSide);
        else
            Ip(_nodeNetns[node], "link", "set", hostSide, "master", FabricNames.Bridge);
        Ip(ns, "link", "set", "eth0", "mtu", podMtu, "up");
        Ip(ns, "address", "add", $"{ip}/{addresses.PodSubnet.Cidr}", "dev", "eth0");
        Ip(ns, "route", "add", "default", "via", addresses.Gateway.ToString());
        if (Kind == FabricKind.OvsVxlan)
            Run.Run("ip", "netns", "exec", ns, "ethtool", "-K", "eth0", "tx", "off"); // userspace datapath: no checksum offload
        return new Pod(ns, ip);
    }

    public bool Ping(Pod from, IPAddress to, int size = 56, bool dontFragment = false) =>
        Netns.Exec(from.Netns, ["ping", "-c", "1", "-W", "2", "-s", size.ToString(CultureInfo.InvariantCulture),
            .. dontFragment ? new[] { "-M", "do" } : [], to.ToString()]).Succeeded;

    /// <summary>Pings until one reply (the first packets across a fresh userspace datapath can be lost to flow setup).</summary>
    public bool Reaches(Pod from, IPAddress to, int size = 56, bool dontFragment = false) =>
        Enumerable.Range(0, 3).Any(_ => Ping(from, to, size, dontFragment));

    /// <summary>A bounded one-second iperf3 TCP transfer; returns the bytes the server received.</summary>
    public async Task<long> TcpTransferAsync(Pod client, Pod server)
    {
        var serverTask = Run.TryRunAsync("timeout", ["20", "ip", "netns", "exec", server.Netns, "iperf3", "-s", "-1", "-p", "5201"]);
        var last = "";
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var result = Netns.Exec(client.Netns, "iperf3", "-c", server.Address.ToString(), "-p", "5201", "-t", "1", "-J");
            last = result.StandardOutput;
            using var doc = System.Text.Json.JsonDocument.Parse(string.IsNullOrWhiteSpace(last) ? "{}" : last);
            if (doc.RootElement.TryGetProperty("end", out var end) && end.TryGetProperty("sum_received", out var received))
            {
                await serverTask;
                return received.GetProperty("bytes").GetInt64();
            }
            await Task.Delay(200); // the server was not listening yet
        }
        await serverTask;
        throw new InvalidOperationException("iperf3 never transferred: " + last);
    }

    public string Sh(string netns, params string[] command) =>
        Run.Run("ip", ["netns", "exec", netns, .. command]);

    private static void Ip(string netns, params string[] args) => Run.Run("ip", ["-n", netns, .. args]);

    public void Dispose()
    {
        foreach (var ovs in _ovs.Values)
            ovs.StopAsync().GetAwaiter().GetResult();
        Netns.Dispose();
    }
}

internal sealed record Pod(string Netns, IPAddress Address);
