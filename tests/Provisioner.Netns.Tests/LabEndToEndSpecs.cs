using Provisioner.Core.Config;
using Provisioner.Core.Planning;
using Provisioner.Core.Verification;
using Provisioner.Host.Processes;
using Provisioner.Netns.Verify;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Netns.Tests;

/// <summary>
/// A whole lab, as <c>netlab up</c> builds it, for every fabric kind and both rule backends: it verifies, plans
/// nothing, notices hand-made drift and repairs it, and <c>down</c> leaves the host as it found it.
/// </summary>
[Collection(PrivilegedCollection.Name)]
public sealed class LabEndToEndSpecs : IDisposable
{
    private readonly string _stateRoot = Path.Combine(Path.GetTempPath(), TestNames.Unique("nle2e"));
    private NetnsLab? _lab;

    private static string Stack(string name, string fabric, string rules) => $$"""
        config:
          netlab:name: {{name}}
          netlab:backend: netns
          netlab:network:
            fabric: {{fabric}}
            serviceRules: {{rules}}
          netlab:nodes:
            - { name: cp1, role: control-plane }
            - { name: w1 }
            - { name: w2 }
          netlab:pods:
            - { name: web-1, node: w1, labels: { app: web } }
            - { name: web-2, node: w2, labels: { app: web } }
            - { name: api-1, node: w1, labels: { app: api } }
            - { name: db-0, node: w2, hostname: db-0, subdomain: db, labels: { app: db } }
            - { name: client, node: cp1, labels: { app: client } }
          netlab:services:
            - { name: web, selector: { app: web }, ports: [ { name: http, port: 80, targetPort: 8080 } ] }
            - { name: api, type: NodePort, selector: { app: api }, ports: [ { port: 8080, nodePort: 30080 } ] }
            - { name: db, clusterIP: None, selector: { app: db }, ports: [ { name: http, port: 8080 } ] }
            - { name: ext, type: ExternalName, externalName: example.com, ports: [ { port: 80 } ] }
            - { name: web-lb, type: LoadBalancer, selector: { app: web }, ports: [ { port: 80, targetPort: 8080 } ] }
            - { name: api-lb, type: LoadBalancer, externalTrafficPolicy: Local, selector: { app: api }, ports: [ { port: 8080 } ] }
        """;

    private NetnsLab Build(string fabric, string rules)
    {
        var lab = StackFile.Parse(Stack(TestNames.Unique("e"), fabric, rules), "test stack");
        var options = BuiltPrograms.Options with { StateRoot = _stateRoot };
        _lab = NetnsLabBuilder.Create(LabPlan.For(lab), options);
        return _lab;
    }

    private static async Task<IReadOnlyList<VerifyCheck>> VerifyAsync(NetnsLab lab, LabPlan plan)
    {
        var pods = NetnsLabBuilder.PodReconciler(plan, new NetnsOptions { CniPluginDirectory = AppContext.BaseDirectory, StateRoot = lab.Layout.StateRoot },
            ProcessRunner.Default, lab.Layout);
        return await new LabVerifier(plan, lab.Layout, new Probe(ProcessRunner.Default),
            pod => pods.AddressOf(pod) is { } a ? System.Net.IPAddress.Parse(a) : null).RunAsync();
    }

    [PrivilegedTheory]
    [InlineData("ovs-vxlan", "iptables")]
    [InlineData("linux-vxlan", "iptables")]
    [InlineData("routed", "nftables")]
    [InlineData("linux-vxlan", "nftables")]
    public async Task A_lab_comes_up_verified_repairs_drift_and_goes_down_leaving_nothing(string fabric, string rules)
    {
        var lab = Build(fabric, rules);
        var hostBefore = HostSnapshot.Take(_stateRoot, lab.Plan.Lab.Name + "-");
        var plan = lab.Plan;

        await lab.UpAsync();

        var checks = await VerifyAsync(lab, plan);
        Assert.True(checks.All(c => c.Passed), string.Join("\n", checks.Where(c => !c.Passed).Select(c => $"{c.Layer} {c.Name}: {c.Detail}")));
        Assert.Contains(checks, c => c.Layer == Layer.Dns && c.Name.Contains("SRV", StringComparison.Ordinal));
        Assert.Contains(checks, c => c.Layer == Layer.LoadBalancer && c.Name.StartsWith("outside -> ", StringComparison.Ordinal));
        Assert.Empty(await lab.PlanAsync());
        await DnsConfigRenderedByAnotherBuildIsProvenAgainWithoutAChangeAsync(lab);
        Assert.Equal(plan.Addresses.Node("cp1").UnderlayAddress, await PeerSeenOutsideAsync(lab, plan, "client"));
        EveryRecordKindResolvesFromAPod(lab, plan);
        OnlyANodeWithAnEndpointAnnouncesALocalLoadBalancer(lab, plan);

        // Drift a learner makes by hand: a killed pod server, a deleted rule, a deleted pod route, the DNS service rule.
        ProcessRunner.Default.Run("kill", "-9", File.ReadAllText(lab.Layout.PodPidPath("web-2")).Trim());
        BreakServiceRules(lab, rules);
        DeleteDnsServiceRule(lab, rules);
        ProcessRunner.Default.Run("ip", "-n", lab.Layout.PodNamespace("client"), "route", "del", "default");
        await WaitForExitAsync(lab, "web-2");

        var drift = await lab.PlanAsync();
        Assert.Contains(drift, c => c.Step == "pod-web-2" && c.Description.Contains("start the server", StringComparison.Ordinal));
        Assert.Contains(drift, c => c.Step == "pod-client" && c.Description.Contains("0.0.0.0/0", StringComparison.Ordinal));
        Assert.Contains(drift, c => c.Step == "service-rules-w1");
        Assert.Contains(drift, c => c.Step == "service-rules-cp1" && c.Description.Contains("kube-dns", StringComparison.Ordinal));
        var broken = await VerifyAsync(lab, plan);
        Assert.Contains(broken, c => !c.Passed);
        Assert.Contains(broken, c => !c.Passed && c.Name.Contains("service kube-dns 10.96.0.10:53/udp", StringComparison.Ordinal));

        await lab.UpAsync();
        Assert.Empty(await lab.PlanAsync());
        checks = await VerifyAsync(lab, plan);
        Assert.True(checks.All(c => c.Passed), string.Join("\n", checks.Where(c => !c.Passed).Select(c => $"{c.Layer} {c.Name}: {c.Detail}")));

        if (fabric != "ovs-vxlan") // its ovs-vswitchd lives in the node namespace: deleting the name would not end it
            await ALoadBalancerFailsOverWhenItsNodeIsGoneAsync(lab, plan);

        await lab.DownAsync();
        await lab.DownAsync(); // twice is safe
        Assert.Equal(hostBefore, HostSnapshot.Take(_stateRoot, lab.Plan.Lab.Name + "-"));
        Assert.False(Directory.Exists(lab.Layout.Directory));
    }

    /// <summary>
    /// Connects from a pod to a listener in the outside client's namespace and returns the source address the outside
    /// saw: with egress masquerading, the pod's node's underlay address (the outside has no route to the pod range).
    /// </summary>
    private static async Task<System.Net.IPAddress> PeerSeenOutsideAsync(NetnsLab lab, LabPlan plan, string pod)
    {
        using var outside = Provisioner.Host.Namespaces.NetworkNamespace.Open(Netns.Namespaces.PathOf(lab.Layout.OutsideNamespace));
        using var listener = outside.Run(() =>
        {
            var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Any, 18099);
            l.Start();
            return l;
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var accepted = listener.AcceptTcpClientAsync(timeout.Token).AsTask();
        var client = ProcessRunner.Default.TryRunAsync("timeout", ["5", "ip", "netns", "exec", lab.Layout.PodNamespace(pod),
            "busybox", "wget", "-q", "-O", "-", $"http://{plan.Addresses.OutsideAddress}:18099/"]);
        var result = await client;
        if (await Task.WhenAny(accepted, Task.Delay(TimeSpan.FromSeconds(5))) != accepted || !accepted.IsCompletedSuccessfully)
        {
            string Run(params string[] a) => ProcessRunner.Default.TryRunAsync(a[0], a[1..]).GetAwaiter().GetResult() is var r ? r.StandardOutput + r.StandardError : "";
            var node = lab.Layout.NodeNamespace(plan.Lab.Pods.Single(p => p.Name == pod).Node);
            Assert.Fail($"{pod} did not reach the outside client (wget: {result.StandardError.Trim()})\n" +
                Run("ip", "-n", lab.Layout.PodNamespace(pod), "route") + Run("ip", "-n", node, "route") +
                Run("ip", "netns", "exec", node, "sysctl", "net.ipv4.ip_forward") + Run("ip", "netns", "exec", node, "iptables-nft-save", "-t", "nat") +
                Run("ip", "netns", "exec", node, "nft", "list", "ruleset") + Run("ip", "netns", "exec", node, "conntrack", "-L"));
        }
        using var connection = await accepted;
        return ((System.Net.IPEndPoint)connection.Client.RemoteEndPoint!).Address.MapToIPv4();
    }

    /// <summary>
    /// After a rebuild of netlab the hash next to dnsmasq.conf names another renderer: the plan renders again, finds the
    /// same file (no change, dnsmasq not restarted) and records the proof for the next run.
    /// </summary>
    private static async Task DnsConfigRenderedByAnotherBuildIsProvenAgainWithoutAChangeAsync(NetnsLab lab)
    {
        var proof = lab.Layout.DnsConfigPath + ".rendered";
        var written = File.ReadAllText(proof);
        File.WriteAllText(proof, "inputs of-another-build config " + new string('0', 64) + "\n");
        var config = File.ReadAllText(lab.Layout.DnsConfigPath);

        Assert.Empty(await lab.PlanAsync());
        Assert.Equal(written, File.ReadAllText(proof));
        Assert.Equal(config, File.ReadAllText(lab.Layout.DnsConfigPath));
    }

    private static void BreakServiceRules(NetnsLab lab, string rules)
    {
        var ns = lab.Layout.NodeNamespace("w1");
        if (rules == "iptables")
            ProcessRunner.Default.Run("ip", "netns", "exec", ns, "iptables-nft", "-t", "nat", "-D", "NETLAB-SERVICES", "1");
        else
            ProcessRunner.Default.Run("ip", "netns", "exec", ns, "nft", "delete", "table", "ip", "netlab");
    }

    /// <summary>dig from the client pod (its resolv.conf, through the service rules) for every kind of record.</summary>
    private static void EveryRecordKindResolvesFromAPod(NetnsLab lab, LabPlan plan)
    {
        var pods = NetnsLabBuilder.PodReconciler(plan, new NetnsOptions { CniPluginDirectory = AppContext.BaseDirectory, StateRoot = lab.Layout.StateRoot },
            ProcessRunner.Default, lab.Layout);
        string[] Dig(params string[] query) =>
            ProcessRunner.Default.Run("ip", ["netns", "exec", lab.Layout.PodNamespace("client"), "dig", "+short", "+time=1", "+tries=2", .. query])
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var web = plan.Addresses.Services.Single(s => s.Spec.Name == "web").ClusterIP!.ToString();
        var db0 = pods.AddressOf("db-0")!;
        Assert.Equal([web], Dig("+search", "web"));
        Assert.Equal([web], Dig("WEB.Default.svc.cluster.local"));
        Assert.Equal(["\"1.1.0\""], Dig("dns-version.cluster.local", "TXT"));
        Assert.Equal([db0], Dig("db.default.svc.cluster.local"));
        Assert.Equal([db0], Dig("db-0.db.default.svc.cluster.local"));
        Assert.Equal(["0 100 80 web.default.svc.cluster.local."], Dig("_http._tcp.web.default.svc.cluster.local", "SRV"));
        Assert.Equal(["0 100 8080 db-0.db.default.svc.cluster.local."], Dig("_http._tcp.db.default.svc.cluster.local", "SRV"));
        Assert.Equal(["web.default.svc.cluster.local."], Dig("-x", web));
        Assert.Equal(["db-0.db.default.svc.cluster.local."], Dig("-x", db0));
        Assert.Equal(["example.com."], Dig("ext.default.svc.cluster.local", "CNAME"));
        // A name outside the zone: the lab reaches no upstream, so it is refused at once (no packet leaves the lab).
        var outside = ProcessRunner.Default.TryRunAsync("ip", ["netns", "exec", lab.Layout.PodNamespace("client"), "dig", "+time=1", "+tries=1", "netlab.invalid"])
            .GetAwaiter().GetResult().StandardOutput;
        Assert.Contains("status: REFUSED", outside, StringComparison.Ordinal);
        var resolv = ProcessRunner.Default.Run("ip", "netns", "exec", lab.Layout.PodNamespace("client"), "cat", "/etc/resolv.conf");
        Assert.Equal("nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n", resolv);
    }

    private static List<string> Holders(NetnsLab lab, LabPlan plan, string address) =>
        [.. plan.Lab.Nodes.Where(n => Netns.Namespaces.Exists(lab.Layout.NodeNamespace(n.Name))
                && ProcessRunner.Default.Run("ip", "-n", lab.Layout.NodeNamespace(n.Name), "addr", "show", "dev", "lo").Contains($" {address}/32 ", StringComparison.Ordinal))
            .Select(n => n.Name)];

    private static void OnlyANodeWithAnEndpointAnnouncesALocalLoadBalancer(NetnsLab lab, LabPlan plan)
    {
        var address = plan.Addresses.Services.Single(s => s.Spec.Name == "api-lb").LoadBalancerIP!.ToString();
        Assert.Equal(["w1"], Holders(lab, plan, address)); // api-1, its only endpoint, is on w1
    }

    /// <summary>
    /// The node announcing web-lb goes away (its namespace deleted, as a crashed VM): applying the load-balancers step
    /// gives the address to a live node, whose gratuitous ARP moves the outside client's cache, and the client is
    /// answered again (by an endpoint on a live node: requests sent to one on the lost node fail meanwhile, so it retries).
    /// </summary>
    private static async Task ALoadBalancerFailsOverWhenItsNodeIsGoneAsync(NetnsLab lab, LabPlan plan)
    {
        var address = plan.Addresses.Services.Single(s => s.Spec.Name == "web-lb").LoadBalancerIP!;
        var gone = Assert.Single(Holders(lab, plan, address.ToString()));
        ProcessRunner.Default.Run("ip", "netns", "del", lab.Layout.NodeNamespace(gone));

        var changes = await lab.ApplyStepAsync(plan.Step(LabPlan.LoadBalancerId));

        var now = Assert.Single(Holders(lab, plan, address.ToString()));
        Assert.NotEqual(gone, now);
        Assert.Contains(changes, c => c.Description.StartsWith($"{now} answers ARP for {address} (service default/web-lb", StringComparison.Ordinal));
        var live = plan.Lab.Pods.Where(p => p.Node != gone && p.Labels.GetValueOrDefault("app") == "web").Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var probe = new Probe(ProcessRunner.Default);
        var seen = new List<string>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var (body, error) = await probe.HttpGetAsync(lab.Layout.OutsideNamespace, address, 80, CancellationToken.None);
            if (body?.Split(' ')[0] is { } pod && live.Contains(pod))
                return;
            seen.Add(body ?? error ?? "(nothing)");
            await Task.Delay(200);
        }
        Assert.Fail($"after {gone} went away, {now} announces {address} but the outside client got no answer from {string.Join(",", live)}; saw: {string.Join(" | ", seen.TakeLast(5))}");
    }

    private static void DeleteDnsServiceRule(NetnsLab lab, string rules)
    {
        var ns = lab.Layout.NodeNamespace("cp1");
        if (rules == "iptables")
        {
            var rule = ProcessRunner.Default.Run("ip", "netns", "exec", ns, "iptables-nft", "-t", "nat", "-S", "NETLAB-SERVICES").Split('\n')
                .Single(l => l.Contains("kube-system/kube-dns:dns cluster IP", StringComparison.Ordinal));
            ProcessRunner.Default.Run("sh", "-c", $"ip netns exec {ns} iptables-nft -t nat {rule.Replace("-A ", "-D ", StringComparison.Ordinal)}");
        }
        else
        {
            ProcessRunner.Default.Run("ip", "netns", "exec", ns, "nft", "delete", "element", "ip", "netlab", "service-ips", "{ 10.96.0.10 . udp . 53 }");
        }
    }

    private static async Task WaitForExitAsync(NetnsLab lab, string pod)
    {
        var supervisor = new Pods.PodSupervisor(lab.Layout, []);
        for (var i = 0; i < 50 && supervisor.RunningPid(pod) is not null; i++)
            await Task.Delay(20);
    }

    public void Dispose()
    {
        _lab?.DownAsync().GetAwaiter().GetResult();
        if (Directory.Exists(_stateRoot))
            Directory.Delete(_stateRoot, recursive: true);
    }

    /// <summary>
    /// What a lab must leave as it was: the host's links and rules, and every namespace and process of the lab (its
    /// namespaces carry its name; its pod servers and OVS daemons run from its state directory).
    /// </summary>
    private sealed record HostSnapshot(string Namespaces, string Links, string Iptables, string Nft, string Processes, string EtcNetns)
    {
        public static HostSnapshot Take(string stateRoot, string labPrefix) => new(
            string.Join(",", Netns.Namespaces.List().Where(n => n.StartsWith(labPrefix, StringComparison.Ordinal))),
            string.Join("\n", Run("ip", "-o", "link", "show").Split('\n').Select(l => l.Split(':').ElementAtOrDefault(1)?.Trim())),
            Run("iptables-nft-save").Split('\n').Where(l => !l.StartsWith('#')).Aggregate("", (a, l) => a + l + "\n"),
            Run("nft", "list", "ruleset"),
            string.Join(",", Run("pgrep", "-a", "-f", "pod-server|ovs-vswitchd|ovsdb-server|dnsmasq").Split('\n')
                .Where(l => l.Contains(stateRoot, StringComparison.Ordinal)).Order(StringComparer.Ordinal)),
            string.Join(",", Directory.Exists(LabLayout.EtcNetnsRoot)
                ? Directory.GetDirectories(LabLayout.EtcNetnsRoot).Select(Path.GetFileName).Where(n => n!.StartsWith(labPrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)
                : []));

        private static string Run(string program, params string[] args) =>
            ProcessRunner.Default.TryRunAsync(program, args).GetAwaiter().GetResult().StandardOutput;
    }
}
