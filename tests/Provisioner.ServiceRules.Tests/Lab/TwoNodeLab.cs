using System.Diagnostics;
using Provisioner.Host.Processes;
using Provisioner.ServiceRules.Model;
using Provisioner.Testing;

namespace Provisioner.ServiceRules.Tests.Lab;

/// <summary>
/// Two "nodes" (namespaces with ip_forward=1) on an underlay bridge in a third namespace, static routes between their
/// pod subnets, pods as namespaces on a bridge in each node, each server pod answering HTTP with its name and the
/// client address it saw. A client namespace sits on the underlay, outside the nodes. Everything is deleted on dispose.
/// </summary>
public sealed class TwoNodeLab : IDisposable
{
    public const string ClusterCidr = "10.244.0.0/16";
    public const string ServiceCidr = "10.96.0.0/16";
    public const string NodeAIp = "192.168.77.1";
    public const string NodeBIp = "192.168.77.2";
    public const string OutsideClientIp = "192.168.77.100";
    public const int ServerPort = 8080;

    private readonly TestNetns _netns = new();
    private readonly ProcessRunner _run = ProcessRunner.Default;
    private readonly string _webRoot = Path.Combine(Path.GetTempPath(), TestNames.Unique("nlt-www"));
    private readonly Dictionary<string, string> _pods = new(StringComparer.Ordinal); // pod name -> netns

    public TwoNodeLab()
    {
        try
        {
            Build();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string NodeA { get; private set; } = "";
    public string NodeB { get; private set; } = "";
    public string OutsideClient { get; private set; } = "";

    public static NodeContext ContextA { get; } = new("node-a", [NodeAIp], ClusterCidr, ServiceCidr);
    public static NodeContext ContextB { get; } = new("node-b", [NodeBIp], ClusterCidr, ServiceCidr);

    /// <summary>Server pods: a1 and a2 on node A, b1 on node B. Client-only pods: ac on A, bc on B.</summary>
    public static IReadOnlyList<(string Pod, string Address, string Node)> Servers { get; } =
        [("a1", "10.244.1.2", "node-a"), ("a2", "10.244.1.3", "node-a"), ("b1", "10.244.2.2", "node-b")];

    public string Pod(string name) => _pods[name];

    public static Endpoint EndpointOf(string pod) =>
        Servers.Single(s => s.Pod == pod) is var s ? new Endpoint(s.Address, s.Node) : throw new InvalidOperationException();

    /// <summary>One HTTP GET from a namespace, bounded to 3 s (busybox 1.35's wget -T crashes, so timeout(1) bounds it).</summary>
    public HttpAnswer Get(string fromNetns, string host, int port)
    {
        var clock = Stopwatch.StartNew();
        var result = _run.TryRunAsync("timeout", ["3", "ip", "netns", "exec", fromNetns, "busybox", "wget", "-q", "-O", "-",
            $"http://{host}:{port}/cgi-bin/who"]).GetAwaiter().GetResult();
        var words = result.StandardOutput.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // httpd listens on a dual-stack socket: REMOTE_ADDR reads "[::ffff:192.168.77.100]".
        var client = words.Length == 2 ? words[1].Replace("[::ffff:", "", StringComparison.Ordinal).TrimEnd(']') : null;
        return new HttpAnswer(result.Succeeded && words.Length == 2 ? words[0] : null, client,
            result.StandardError.Trim(), clock.Elapsed);
    }

    /// <summary>Counts which pod answered each of <paramref name="requests"/> GETs; failures count under "(failed: reason)".</summary>
    public Dictionary<string, int> Tally(string fromNetns, string host, int port, int requests)
    {
        var tally = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < requests; i++)
        {
            var answer = Get(fromNetns, host, port);
            var key = answer.Pod ?? $"(failed: {answer.Error})";
            tally[key] = tally.GetValueOrDefault(key) + 1;
        }
        return tally;
    }

    private void Build()
    {
        var underlay = _netns.Create("nlu");
        Ip(underlay, "link", "add", "br0", "type", "bridge");
        Ip(underlay, "link", "set", "br0", "up");
        NodeA = AddNode(underlay, "ua", NodeAIp, "10.244.1.1", "10.244.2.0/24", NodeBIp);
        NodeB = AddNode(underlay, "ub", NodeBIp, "10.244.2.1", "10.244.1.0/24", NodeAIp);
        OutsideClient = _netns.Create("nlc");
        AttachToUnderlay(underlay, "uc", OutsideClient, OutsideClientIp);
        AddPod(NodeA, "a1", "10.244.1.2", "10.244.1.1", serve: true);
        AddPod(NodeA, "a2", "10.244.1.3", "10.244.1.1", serve: true);
        AddPod(NodeA, "ac", "10.244.1.10", "10.244.1.1", serve: false);
        AddPod(NodeB, "b1", "10.244.2.2", "10.244.2.1", serve: true);
        AddPod(NodeB, "bc", "10.244.2.10", "10.244.2.1", serve: false);
        foreach (var (pod, address, _) in Servers)
            WaitForServer(pod, address);
    }

    private string AddNode(string underlay, string port, string nodeIp, string bridgeIp, string otherPods, string otherNode)
    {
        var node = _netns.Create("nln");
        AttachToUnderlay(underlay, port, node, nodeIp);
        Sysctl(node, "net.ipv4.ip_forward=1");
        Ip(node, "link", "add", "cbr0", "type", "bridge");
        Ip(node, "addr", "add", bridgeIp + "/24", "dev", "cbr0");
        Ip(node, "link", "set", "cbr0", "up");
        Ip(node, "route", "add", otherPods, "via", otherNode);
        // Service IPs need a route so unanswered ones reach FORWARD (and its REJECT) instead of "no route".
        Ip(node, "route", "add", ServiceCidr, "dev", "eth0");
        // Pod-to-pod replies on one bridge must pass conntrack to be un-DNATed, as on a Kubernetes node.
        _ = _run.TryRunAsync("ip", ["netns", "exec", node, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1"]).GetAwaiter().GetResult();
        return node;
    }

    private void AttachToUnderlay(string underlay, string port, string netns, string address)
    {
        Ip(underlay, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", netns);
        Ip(underlay, "link", "set", port, "master", "br0", "up");
        Ip(netns, "addr", "add", address + "/24", "dev", "eth0");
        Ip(netns, "link", "set", "eth0", "up");
    }

    private void AddPod(string node, string name, string address, string gateway, bool serve)
    {
        var pod = _netns.Create("nlp");
        _pods[name] = pod;
        var hostSide = "v" + name;
        Ip(node, "link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "netns", pod);
        Ip(node, "link", "set", hostSide, "master", "cbr0", "up");
        // Hairpin: a pod reaching itself through a service leaves and re-enters by the same bridge port.
        _run.Run("bridge", "-n", node, "link", "set", "dev", hostSide, "hairpin", "on");
        Ip(pod, "addr", "add", address + "/24", "dev", "eth0");
        Ip(pod, "link", "set", "eth0", "up");
        Ip(pod, "route", "add", "default", "via", gateway);
        if (serve)
            StartServer(pod, name);
    }

    private void StartServer(string pod, string name)
    {
        var cgi = Path.Combine(_webRoot, name, "cgi-bin");
        Directory.CreateDirectory(cgi);
        var script = Path.Combine(cgi, "who");
        File.WriteAllText(script, $"#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n{name} %s\\n' \"$REMOTE_ADDR\"\n");
        _run.Run("chmod", "0755", script);
        // Without -f busybox httpd daemonizes; it lives in the pod namespace and dies with it (TestNetns kills its pids).
        _run.Run("ip", "netns", "exec", pod, "busybox", "httpd", "-p", ServerPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-h", Path.Combine(_webRoot, name));
    }

    private void WaitForServer(string pod, string address)
    {
        for (var i = 0; i < 50; i++)
        {
            if (Get(Pod(pod), address, ServerPort).Pod == pod)
                return;
            Thread.Sleep(100);
        }
        throw new InvalidOperationException($"the HTTP server in pod {pod} did not answer on {address}:{ServerPort}");
    }

    private void Ip(string netns, params string[] arguments) => _run.Run("ip", ["-n", netns, .. arguments]);

    private void Sysctl(string netns, string setting) => _run.Run("ip", "netns", "exec", netns, "sysctl", "-qw", setting);

    public void Dispose()
    {
        _netns.Dispose();
        if (Directory.Exists(_webRoot))
            Directory.Delete(_webRoot, recursive: true);
    }
}

/// <summary>One HTTP answer: the pod that answered and the client address it saw, or the error.</summary>
public sealed record HttpAnswer(string? Pod, string? ClientAddress, string Error, TimeSpan Elapsed);
