using System.Diagnostics;
using System.Globalization;
using Provisioner.Host.Processes;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;

// Usage: dotnet run -c Release --project bench/ServiceRulesBench [-- sizes...]   (root; default sizes 1000 10000)
//        ... -- --print iptables|nftables N   prints the full-sync payload for N services (no root needed)
if (args is ["--print", var kind, var count])
{
    var printed = Table(int.Parse(count, CultureInfo.InvariantCulture));
    var context = new NodeContext("node-a", ["192.168.50.1"], "10.244.0.0/16", "10.96.0.0/12");
    Console.Write(kind == "nftables"
        ? Provisioner.ServiceRules.Nftables.NftCompiler.Compile(printed, context).ToScript()
        : Provisioner.ServiceRules.Iptables.IptablesCompiler.Compile(printed, context).ToRestorePayload());
    return;
}
if (args is ["--explain", .. var rest])
{
    // A small table to show the explain view: 3 endpoints on two nodes, a node port.
    var demo = new ServiceTable([new Service
    {
        Namespace = "default", Name = "web", Type = ServiceType.NodePort, ClusterIP = "10.96.0.10",
        Ports = [new ServicePort("http", 80, 8080, NodePort: 30080)],
        Endpoints = [new("10.244.1.2", "node-a"), new("10.244.1.3", "node-a"), new("10.244.2.2", "node-b")],
    }]);
    var demoNode = new NodeContext("node-a", ["192.168.50.1"], "10.244.0.0/16", "10.96.0.0/12");
    Console.Write(Provisioner.ServiceRules.Explain.ServiceExplainer.Explain(demo, demoNode, "default", "web",
        backend: rest is ["nftables"] ? RuleBackend.Nftables : RuleBackend.Iptables));
    return;
}
if (args is ["--parse-nft", var file])
{
    var text = File.ReadAllText(file);
    var parseClock = Stopwatch.StartNew();
    var state = Provisioner.ServiceRules.Nftables.NftListingParser.Parse(text);
    Console.WriteLine($"parsed {state.Elements.Sum(e => e.Value.Count)} elements in {parseClock.ElapsedMilliseconds} ms");
    var compileClock = Stopwatch.StartNew();
    var compiled = Provisioner.ServiceRules.Nftables.NftCompiler.Compile(Table(10000), new NodeContext("node-a", ["192.168.50.1"], "10.244.0.0/16", "10.96.0.0/12"));
    Console.WriteLine($"compiled 10k in {compileClock.ElapsedMilliseconds} ms");
    return;
}
var sizes = args.Length > 0 ? args.Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [1000, 10000];
var node = new NodeContext("node-a", ["192.168.50.1"], "10.244.0.0/16", "10.96.0.0/12");
var netns = $"nlb-{Guid.NewGuid():N}"[..10];
var run = ProcessRunner.Default;
// iptables-nft-restore 1.8.9 with --noflush is slow at this scale; a cap keeps one run bounded.
var cap = TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("NETLAB_BENCH_CAP_SECONDS") ?? "120", CultureInfo.InvariantCulture));
await run.RunAsync("ip", ["netns", "add", netns]);
try
{
    Console.WriteLine($"netlab service rules benchmark, namespace {netns}, 3 endpoints per service; times are wall clock (ms).");
    Console.WriteLine("  apply = the one iptables-restore / nft -f transaction (wall); total = validate + compile + read kernel + diff + apply (wall);");
    Console.WriteLine("  cpu = CPU time of the whole total step, this process plus the iptables/nft processes it ran.");
    Console.WriteLine($"  machine: {Environment.ProcessorCount} CPUs, load average {File.ReadAllText("/proc/loadavg").Trim()} (wall clock grows with load).");
    Console.WriteLine();
    Console.WriteLine($"{"backend",-16} {"services",8} {"full apply",11} {"full total",11} {"full cpu",9} {"no-op total",12} {"no-op cpu",9} {"1-svc apply",12} {"1-svc total",12} {"1-svc cpu",9} {"changes",8}");
    foreach (var backend in new[] { RuleBackend.Iptables, RuleBackend.IptablesLegacy, RuleBackend.Nftables })
    {
        var applier = new ServiceRulesApplier(backend, netns, timeout: cap);
        var cleaner = new ServiceRulesApplier(backend, netns, timeout: TimeSpan.FromMinutes(5));
        foreach (var size in sizes)
        {
            await cleaner.RemoveAsync();
            var table = Table(size);
            ApplyResult full;
            TimeSpan fullTotal, fullCpu;
            try
            {
                (full, fullTotal, fullCpu) = await Timed(() => applier.ApplyAsync(table, node));
            }
            catch (OperationCanceledException)
            {
                Console.WriteLine($"{backend,-16} {size,8} {$">{cap.TotalMilliseconds:0}",11}  (gave up after {cap.TotalSeconds:0} s: the transaction was killed, nothing applied)");
                continue;
            }
            var (_, noopTotal, noopCpu) = await Timed(() => applier.ApplyAsync(table, node));
            var changed = table.WithService(table.Services[size / 2] with { Endpoints = [.. table.Services[size / 2].Endpoints.Take(2), new Endpoint("10.250.0.1", "node-a")] });
            var (one, oneTotal, oneCpu) = await Timed(() => applier.ApplyAsync(changed, node));
            Console.WriteLine($"{backend,-16} {size,8} {Ms(full.ApplyTime),11} {Ms(fullTotal),11} {Ms(fullCpu),9} {Ms(noopTotal),12} {Ms(noopCpu),9} {Ms(one.ApplyTime),12} {Ms(oneTotal),12} {Ms(oneCpu),9} {one.Plan.Changes.Count,8}");
        }
        await cleaner.RemoveAsync();
    }
    Console.WriteLine();
    Console.WriteLine("Goals (issue 5): full sync of 10k services < 1000 ms (iptables), < 300 ms (nftables); one-service change in 10k < 50 ms.");
    Console.WriteLine("Reference (issue 5, by hand): kube-proxy-shaped 10k ruleset 1500 ms iptables-nft, 660 ms iptables-legacy; nft per-chain vmaps 35 s, one map 280 ms.");
}
finally
{
    await run.TryRunAsync("ip", ["netns", "del", netns]);
}

static async Task<(ApplyResult Result, TimeSpan Total, TimeSpan Cpu)> Timed(Func<Task<ApplyResult>> action)
{
    var clock = Stopwatch.StartNew();
    var cpu = CpuTime();
    var result = await action();
    return (result, clock.Elapsed, CpuTime() - cpu);
}

// CPU time of this process plus its finished children (iptables-restore, nft): unlike wall clock, it does not grow
// when other work shares the machine. /proc/self/stat fields 14-17 are utime, stime, cutime, cstime in clock ticks.
static TimeSpan CpuTime()
{
    var stat = File.ReadAllText("/proc/self/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    var ticks = fields[11..15].Sum(f => long.Parse(f, CultureInfo.InvariantCulture));
    return TimeSpan.FromMilliseconds(ticks * 10.0);
}


static string Ms(TimeSpan time) => time.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);

static ServiceTable Table(int count) => new([.. Enumerable.Range(0, count).Select(i => new Service
{
    Namespace = "bench",
    Name = $"svc-{i}",
    ClusterIP = $"10.96.{i / 250}.{i % 250 + 1}",
    Ports = [new ServicePort("http", 80, 8080)],
    Endpoints = [.. Enumerable.Range(0, 3).Select(j => new Endpoint($"10.244.{i / 80}.{i % 80 * 3 + j + 1}", "node-a"))],
})]);
