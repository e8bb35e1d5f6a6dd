using Provisioner.Core.Model;
using Provisioner.Fabric.Convergence;
using Provisioner.Testing;
using Xunit.Abstractions;

namespace Provisioner.Fabric.Tests;

/// <summary>The fabric on a real kernel: nodes and pods as namespaces, every kind, from nothing to nothing.</summary>
[Collection(PrivilegedCollection.Name)]
public sealed class FabricSpecs(ITestOutputHelper output)
{
    [PrivilegedTheory]
    [InlineData(FabricKind.OvsVxlan)]
    [InlineData(FabricKind.LinuxVxlan)]
    [InlineData(FabricKind.Routed)]
    public async Task The_fabric_joins_pods_across_nodes_converges_in_place_and_leaves_nothing(FabricKind kind)
    {
        using var lab = new FabricTestLab(kind);
        var three = lab.Plan(3);
        string[] nodes = ["n1", "n2", "n3"];
        foreach (var node in nodes)
            await lab.AddNodeAsync(three, node);
        if (kind == FabricKind.OvsVxlan)
        {
            // Starting a running OVS instance again leaves its daemons alone.
            var pidfile = Path.Combine(lab.Ovs("n1").Directory, "ovs-vswitchd.pid");
            var pid = File.ReadAllText(pidfile);
            await lab.Ovs("n1").StartAsync();
            Assert.Equal(pid, File.ReadAllText(pidfile));
            Assert.True(lab.Ovs("n1").IsRunning);
        }

        foreach (var node in nodes)
        {
            var applied = await lab.ApplyAsync(three, node);
            output.WriteLine(applied.ToString());
            Assert.NotEmpty(applied.Commands);
        }

        var a = lab.AddPod(three, "n1", 0);
        var b = lab.AddPod(three, "n1", 1);
        var c = lab.AddPod(three, "n2", 0);
        var d = lab.AddPod(three, "n3", 0);

        // Pod to pod, same node and across nodes, by their own addresses.
        Assert.True(lab.Reaches(a, b.Address), "same node");
        Assert.True(lab.Reaches(a, c.Address), "n1 -> n2");
        Assert.True(lab.Reaches(a, d.Address), "n1 -> n3");
        Assert.True(lab.Reaches(d, c.Address), "n3 -> n2");
        Assert.True(await lab.TcpTransferAsync(d, c) > 0, "a TCP transfer n3 -> n2");

        // A full-size packet with DF set crosses the overlay.
        var fullSize = three.Addresses.PodMtu - 28;
        Assert.True(lab.Reaches(a, c.Address, fullSize, dontFragment: true), $"a {fullSize}-byte DF ping across nodes");

        // No NAT and nothing outside: the underlay's own host gets the packet but has no way back.
        Assert.False(lab.Ping(a, FabricTestLab.Outside), "a pod reached an address outside the lab");

        // Re-applying runs nothing.
        foreach (var node in nodes)
            Assert.Empty((await lab.ApplyAsync(three, node)).Commands);

        // Drift: a route deleted by hand shows in the plan, and apply puts exactly it back.
        var n1 = lab.Fabric(three, "n1");
        var route = n1.Triggers.First(l => l.StartsWith("route 10.244.1.0/24", StringComparison.Ordinal));
        lab.Sh(lab.NodeNetns["n1"], "ip", "route", "del", "10.244.1.0/24");
        var drift = await lab.Converger.PlanAsync(n1, lab.Target("n1"));
        Assert.Equal([$"+ {route}"], drift.Changes.Select(ch => ch.ToString()).ToArray());
        Assert.Single((await lab.ApplyAsync(three, "n1")).Changes);
        Assert.True(lab.Reaches(a, c.Address), "after repairing the drift");

        // A fourth node: the others gain exactly its tunnel/route lines, in place.
        var four = lab.Plan(4);
        await lab.AddNodeAsync(four, "n4");
        foreach (var node in nodes)
        {
            var expected = lab.Fabric(four, node).Triggers.Except(lab.Fabric(three, node).Triggers).Select(l => $"+ {l}");
            var applied = await lab.ApplyAsync(four, node);
            output.WriteLine(applied.ToString());
            Assert.Equal(expected.ToArray(), applied.Changes.Select(ch => ch.ToString()).ToArray());
        }
        await lab.ApplyAsync(four, "n4");
        var e = lab.AddPod(four, "n4", 0);
        Assert.True(lab.Reaches(a, e.Address), "n1 -> the new n4");
        Assert.True(lab.Reaches(e, d.Address), "the new n4 -> n3");
        Assert.True(lab.Reaches(a, c.Address), "n1 -> n2 still, after adding n4");

        // Removing n4: its tunnels/routes go from every other node, and n4 keeps nothing.
        foreach (var node in nodes)
        {
            var removed = await lab.ApplyAsync(three, node);
            output.WriteLine(removed.ToString());
            Assert.NotEmpty(removed.Changes);
            Assert.All(removed.Changes, ch => Assert.Equal(FabricChangeKind.Remove, ch.Kind));
            Assert.DoesNotContain("10.244.3.0/24", lab.Sh(lab.NodeNetns[node], "ip", "route"), StringComparison.Ordinal);
        }
        await lab.Converger.RemoveAsync(lab.Fabric(four, "n4"), lab.Target("n4"));
        Assert.True(lab.Reaches(a, d.Address), "n1 -> n3 still, after removing n4");

        // Full removal leaves no bridge, port, device, route, flow or OVS daemon.
        foreach (var node in (string[])[.. nodes, "n4"])
        {
            var removed = await lab.Converger.RemoveAsync(lab.Fabric(three.Lab.Nodes.Any(n => n.Name == node) ? three : four, node), lab.Target(node));
            output.WriteLine(removed.ToString());
            var ns = lab.NodeNetns[node];
            Assert.DoesNotContain("netlab", lab.Sh(ns, "ip", "link"), StringComparison.Ordinal);
            Assert.DoesNotContain("10.244.", lab.Sh(ns, "ip", "route"), StringComparison.Ordinal);
            if (kind == FabricKind.OvsVxlan)
            {
                Assert.Equal("", ProcessRunnerExtensions.Ovs(lab.Ovs(node), "list-br"));
                await lab.Ovs(node).StopAsync();
                Assert.False(lab.Ovs(node).IsRunning);
                Assert.False(Directory.Exists(lab.Ovs(node).Directory));
            }
            Assert.Equal("", Provisioner.Host.Processes.ProcessRunner.Default.Run("ip", "netns", "pids", ns).Trim());
        }
        var names = lab.Netns.Names.ToArray();
        lab.Dispose();
        var left = Provisioner.Host.Processes.ProcessRunner.Default.Run("ip", "netns", "list");
        Assert.All(names, n => Assert.DoesNotContain(n, left, StringComparison.Ordinal));
    }
}

internal static class ProcessRunnerExtensions
{
    public static string Ovs(Ovs.OvsInstance ovs, params string[] args) =>
        Provisioner.Host.Processes.ProcessRunner.Default.Run("ovs-vsctl", [$"--db={ovs.OvsDb}", "--timeout=10", .. args]).Trim();
}
