using System.Diagnostics;
using System.Globalization;
using Provisioner.Host.Processes;
using Provisioner.Proxy.Tests.Fakes;
using static Provisioner.Proxy.Tests.Fakes.Api;

// usage: ProxyBench NETLAB_BINARY [SERVICES=10000] [iptables|nftables] [ROUNDS=5]
var netlab = args[0];
var services = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000;
var mode = args.Length > 2 ? args[2] : "iptables";
var rounds = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 5;
var run = ProcessRunner.Default;
var netns = $"nlb-proxy-{Guid.NewGuid().ToString("N")[..6]}";
var work = Directory.CreateTempSubdirectory("netlab-proxy-bench").FullName;
(string, int, string)[] http = [("http", 8080, "TCP")];
static string Ip(int i, int @base) => $"10.{@base + i / 65536}.{i / 256 % 256}.{i % 256}";

run.Run("ip", "netns", "add", netns);
Process? proxy = null;
try
{
    await using var api = await FakeApiServer.StartAsync();
    api.Upsert(Node("bench-node", "192.168.250.1"));
    for (var i = 0; i < services; i++)
    {
        api.Upsert(Service($"s{i}", Ip(i + 10, 96), Port("http", 80, 8080)));
        api.Upsert(Slice($"s{i}-1", $"s{i}", http, [.. Enumerable.Range(0, 3).Select(e => Endpoint(Ip(i * 3 + e, 200), "bench-node"))]));
    }
    File.WriteAllText(Path.Combine(work, "kubeconfig"), api.Kubeconfig());
    File.WriteAllText(Path.Combine(work, "config.yaml"), "clusterCIDR: 10.200.0.0/14\nserviceCIDR: 10.96.0.0/12\nminSyncPeriod: 1s\nsyncPeriod: 1h\n");

    var lines = new List<(DateTimeOffset At, string Line)>();
    var start = new ProcessStartInfo(netlab) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
    foreach (var a in (string[])["proxy", "--kubeconfig", Path.Combine(work, "kubeconfig"), "--config", Path.Combine(work, "config.yaml"),
                 "--hostname-override", "bench-node", "--netns", netns, "--proxy-mode", mode,
                 "--healthz-bind-address", "127.0.0.1:" + FreePort(),
                 "--metrics-bind-address", "127.0.0.1:" + FreePort()])
        start.ArgumentList.Add(a);
    var clock = Stopwatch.StartNew();
    proxy = Process.Start(start)!;
    proxy.ErrorDataReceived += (_, e) => { if (e.Data is { } l) lock (lines) lines.Add((DateTimeOffset.UtcNow, l)); };
    proxy.BeginErrorReadLine();

    var full = await WaitForLine("full sync", DateTimeOffset.MinValue, TimeSpan.FromMinutes(10));
    var startup = clock.Elapsed;
    var rssAfterFull = Rss(proxy.Id);

    var latencies = new List<double>();
    var lastPartial = "";
    var syncs = new List<double>(); // the proxy's own figure: snapshot taken -> transaction returned
    for (var r = 0; r < rounds; r++)
    {
        await Task.Delay(1500); // past minSyncPeriod: the change is not held back by the previous sync
        var target = services / 2 + r;
        var t0 = DateTimeOffset.UtcNow;
        api.Upsert(Slice($"s{target}-1", $"s{target}", http, [.. Enumerable.Range(0, 3).Select(e => Endpoint(Ip(target * 3 + e + 1, 200), "bench-node"))]));
        var done = await WaitForLine("partial sync", t0, TimeSpan.FromMinutes(2));
        latencies.Add((done.At - t0).TotalMilliseconds);
        lastPartial = done.Line;
        syncs.Add(double.Parse(done.Line[(done.Line.LastIndexOf(" in ", StringComparison.Ordinal) + 4)..].Split(' ')[0], CultureInfo.InvariantCulture));
    }
    var lastNew = Ip((services / 2 + rounds - 1) * 3 + 3, 200);
    var kernel = mode == "nftables"
        ? run.Run("ip", "netns", "exec", netns, "nft", "list", "table", "ip", "netlab")
        : run.Run("ip", "netns", "exec", netns, "iptables-nft-save", "-t", "nat");
    if (!kernel.Contains(lastNew, StringComparison.Ordinal))
        throw new InvalidOperationException($"the last changed endpoint {lastNew} is not in the kernel's rules");
    var rss = Rss(proxy.Id);
    latencies.Sort();

    Console.WriteLine($"machine: {Environment.ProcessorCount} CPUs, load average {File.ReadAllText("/proc/loadavg").Trim()}");
    Console.WriteLine($"netlab-proxy bench: {services} services x 3 endpoints, {mode}, {rounds} one-service changes, real netlab proxy process");
    Console.WriteLine($"{"measure",-58} {"netlab-proxy",14} {"reference",-40}");
    Console.WriteLine($"{"watch event -> rule in kernel, one service (median ms)",-58} {latencies[latencies.Count / 2],14:0} {"goal <= 50; kube-proxy nftables 141 (k8s#126013)",-40}");
    Console.WriteLine($"{"  (min / max ms)",-58} {$"{latencies[0]:0} / {latencies[^1]:0}",14}");
    syncs.Sort();
    Console.WriteLine($"{"  of which the proxy's sync, as it logs it (median ms)",-58} {syncs[syncs.Count / 2],14:0}");
    Console.WriteLine($"{"start -> first full sync in kernel (s)",-58} {startup.TotalSeconds,14:0.0} {"kube-proxy 40 s iptables, 194 s nftables (10k x 2, k8s#130119)",-40}");
    Console.WriteLine($"{"RSS after the first full sync (MiB)",-58} {rssAfterFull,14:0} {"kube-proxy nftables 260 peak (10k x 2, k8s#126013)",-40}");
    Console.WriteLine($"{"RSS at the end (MiB)",-58} {rss,14:0}");
    Console.WriteLine($"last partial sync as logged: {lastPartial[(lastPartial.IndexOf("partial sync", StringComparison.Ordinal))..]}");
    Console.WriteLine($"first full sync as logged: {full.Line[(full.Line.IndexOf("full sync", StringComparison.Ordinal))..]}");
    return 0;

    async Task<(DateTimeOffset At, string Line)> WaitForLine(string text, DateTimeOffset after, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            lock (lines)
            {
                foreach (var l in lines)
                {
                    if (l.At >= after && l.Line.Contains(text, StringComparison.Ordinal))
                        return l;
                }
            }
            if (proxy!.HasExited)
                break;
            await Task.Delay(2);
        }
        lock (lines)
            throw new TimeoutException($"netlab proxy logged no '{text}' within {timeout}; its log:\n{string.Join("\n", lines.Select(l => l.Line).TakeLast(20))}");
    }
}
finally
{
    if (proxy is { HasExited: false })
        proxy.Kill();
    proxy?.WaitForExit(5000);
    _ = await run.TryRunAsync("ip", ["netns", "del", netns]);
    Directory.Delete(work, recursive: true);
}

static double Rss(int pid) =>
    File.ReadAllLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
        .Select(l => double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024).Single();

static int FreePort()
{
    using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
    l.Start();
    return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
}
