using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Provisioner.Core.Model;
using Provisioner.Fabric.Tests;

// Prints, in one run: iperf3 pod-to-pod throughput across two nodes per fabric kind next to the raw underlay between
// the same two nodes (as ratios), and the time to converge each node of a 10-node lab (first apply and re-apply).
var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
var nodesForConverge = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
var kinds = new[] { FabricKind.Routed, FabricKind.LinuxVxlan, FabricKind.OvsVxlan };
var inv = CultureInfo.InvariantCulture;

// This machine is shared, so raw and pod runs alternate in the same lab (raw, pods, raw, pods, raw, pods) and the
// ratio is the median of the three pairs. Raw is node eth0 -> node eth0 over the underlay bridge. With ovs-vxlan on
// the userspace datapath the node address moves onto OVS, so its raw runs happen before the fabric is applied.
Console.WriteLine($"fabric throughput: iperf3 TCP, {seconds} s runs, pod on n1 -> pod on n2 vs raw underlay n1 -> n2 (median of 3 pairs)");
Console.WriteLine("(goal: linux-vxlan and routed >= 0.85 of raw)");
Console.WriteLine($"  {"kind",-12} {"raw Gbit/s",11} {"pods Gbit/s",12} {"ratio",6}");
foreach (var kind in kinds)
{
    using var lab = new FabricTestLab(kind);
    var plan = lab.Plan(2);
    await lab.AddNodeAsync(plan, "n1");
    await lab.AddNodeAsync(plan, "n2");
    var rawPath = (new Pod(lab.NodeNetns["n1"], plan.Addresses.Node("n1").UnderlayAddress), new Pod(lab.NodeNetns["n2"], plan.Addresses.Node("n2").UnderlayAddress));
    var rawBefore = kind == FabricKind.OvsVxlan ? Enumerable.Range(0, 3).Select(_ => Iperf(rawPath.Item1, rawPath.Item2, seconds)).ToList() : null;
    await lab.ApplyAsync(plan, "n1");
    await lab.ApplyAsync(plan, "n2");
    var a = lab.AddPod(plan, "n1", 0);
    var b = lab.AddPod(plan, "n2", 0);
    lab.Reaches(a, b.Address);
    var pairs = Enumerable.Range(0, 3)
        .Select(i => (Raw: rawBefore?[i] ?? Iperf(rawPath.Item1, rawPath.Item2, seconds), Pods: Iperf(a, b, seconds)))
        .OrderBy(p => p.Pods / p.Raw).ToList();
    var median = pairs[1];
    Console.WriteLine($"  {EnumNames.Of(kind),-12} {median.Raw / 1e9,11:F2} {median.Pods / 1e9,12:F2} {(median.Pods / median.Raw).ToString("F2", inv),6}");
}

Console.WriteLine();
Console.WriteLine($"converge time per node, {nodesForConverge} nodes (goal: < 100 ms per node)");
Console.WriteLine($"  {"kind",-12} {"first apply",14} {"re-apply",12}");
foreach (var kind in kinds)
{
    using var lab = new FabricTestLab(kind);
    var plan = lab.Plan(nodesForConverge);
    var names = plan.Addresses.Nodes.Select(n => n.Node.Name).ToArray();
    foreach (var node in names)
        await lab.AddNodeAsync(plan, node);
    var first = await TimePerNode(names, n => lab.ApplyAsync(plan, n));
    var again = await TimePerNode(names, n => lab.ApplyAsync(plan, n));
    Console.WriteLine($"  {EnumNames.Of(kind),-12} {first,11:F1} ms {again,9:F1} ms");
}

static async Task<double> TimePerNode(string[] nodes, Func<string, Task> apply)
{
    var watch = Stopwatch.StartNew();
    foreach (var node in nodes)
        await apply(node);
    return watch.Elapsed.TotalMilliseconds / nodes.Length;
}

static double Iperf(Pod client, Pod server, int seconds)
{
    var runner = Provisioner.Host.Processes.ProcessRunner.Default;
    var serverTask = runner.TryRunAsync("timeout", [$"{seconds + 20}", "ip", "netns", "exec", server.Netns, "iperf3", "-s", "-1", "-p", "5202"]);
    for (var attempt = 0; attempt < 20; attempt++)
    {
        var result = runner.TryRunAsync("timeout", [$"{seconds + 15}", "ip", "netns", "exec", client.Netns,
            "iperf3", "-c", server.Address.ToString(), "-p", "5202", "-t", $"{seconds}", "-J"]).GetAwaiter().GetResult();
        using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(result.StandardOutput) ? "{}" : result.StandardOutput);
        if (doc.RootElement.TryGetProperty("end", out var end) && end.TryGetProperty("sum_received", out var received))
        {
            serverTask.GetAwaiter().GetResult();
            return received.GetProperty("bits_per_second").GetDouble();
        }
        Thread.Sleep(200);
    }
    serverTask.GetAwaiter().GetResult();
    throw new InvalidOperationException($"iperf3 {client.Netns} -> {server.Address} never ran");
}
