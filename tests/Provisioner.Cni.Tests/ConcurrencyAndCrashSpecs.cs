using Provisioner.Cni.Tests.Support;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Cni.Tests;

/// <summary>Concurrent ADDs never share an address; a plugin killed mid-ADD leaves nothing DEL or GC does not clean.</summary>
[Collection(PrivilegedCollection.Name)]
public sealed class ConcurrencyAndCrashSpecs
{
    /// <summary>32 processes at once on a small CI machine: each may wait long for a CPU, not for the lock.</summary>
    private static readonly TimeSpan CrowdTimeLimit = TimeSpan.FromSeconds(120);

    [PrivilegedFact]
    public async Task Thirty_two_parallel_ADDs_get_distinct_addresses_and_DELs_free_them_all()
    {
        using var lab = new CniLab();
        var pods = Enumerable.Range(0, 32).Select(_ => lab.NewPod()).ToList();
        var config = lab.Config(Plugin.NetlabCni).ToJsonString();

        var added = await Task.WhenAll(pods.Select((pod, i) =>
            lab.RunAsync(Plugin.NetlabCni, "ADD", config, CniLab.Environment("ADD", $"c{i}", pod), timeLimit: CrowdTimeLimit)));

        Assert.All(added, a => Assert.True(a.Succeeded, a.ToString()));
        Assert.Equal(32, added.Select(a => a.Address).Distinct().Count());
        Assert.Equal(32, lab.AllocationFiles().Count);

        var deleted = await Task.WhenAll(pods.Select((pod, i) =>
            lab.RunAsync(Plugin.NetlabCni, "DEL", config, CniLab.Environment("DEL", $"c{i}", pod), timeLimit: CrowdTimeLimit)));

        Assert.All(deleted, d => Assert.True(d.Succeeded, d.ToString()));
        Assert.Empty(lab.AllocationFiles());
        Assert.DoesNotContain("nlc", lab.Exec(lab.Node, "ip", "-o", "link").StandardOutput);
    }

    /// <summary>
    /// Kills ADD (SIGKILL) at moments chosen by bisection over the time one ADD takes: a kill after ADD finished moves
    /// the next one earlier, a kill before it did anything moves it later, so kills converge on the window where the
    /// plugin is at work (startup is most of an ADD). After each kill, DEL or GC must leave nothing. At least one kill
    /// must have caught the plugin mid-ADD with state on disk or in the kernel, else the test proved nothing.
    /// </summary>
    [PrivilegedTheory]
    [InlineData("DEL")]
    [InlineData("GC")]
    public async Task A_plugin_killed_during_ADD_leaves_nothing_that_cleanup_misses(string cleanup)
    {
        using var lab = new CniLab();
        var config = lab.Config(Plugin.NetlabCni, "1.1.0").ToJsonString();
        var (early, late) = (TimeSpan.Zero, await TimeOneAddAsync(lab, config) * 1.5);
        var caughtMidAdd = 0;
        for (var step = 0; step < 16; step++)
        {
            var pod = lab.NewPod();
            var id = $"crash{step}";
            var killAfter = (early + late) / 2;
            var killed = false;
            using (var kill = new CancellationTokenSource(killAfter))
            {
                try
                {
                    await lab.RunAsync(Plugin.NetlabCni, "ADD", config, CniLab.Environment("ADD", id, pod), cancellationToken: kill.Token);
                }
                catch (OperationCanceledException)
                {
                    killed = true;
                }
            }
            var leftovers = lab.AllocationFiles().Count > 0 || NodeLinks(lab).Contains("nlc", StringComparison.Ordinal);
            if (!killed || (leftovers && step % 2 == 0))
                late = killAfter;
            else
                early = killAfter;
            if (killed && leftovers)
                caughtMidAdd++;

            var cleaned = cleanup == "DEL"
                ? await lab.RunAsync(Plugin.NetlabCni, "DEL", config, CniLab.Environment("DEL", id, pod))
                : await lab.RunAsync(Plugin.NetlabCni, "GC", GcWithNothingValid(lab), CniLab.Environment("GC", "", null));

            Assert.True(cleaned.Succeeded, $"{cleanup} after a kill at {killAfter.TotalMilliseconds} ms: {cleaned}");
            Assert.Empty(lab.AllocationFiles());
            Assert.DoesNotContain("nlc", NodeLinks(lab));
            Assert.Empty(Directory.GetFiles(lab.AllocationDirectory, ".tmp-*"));
            if (cleanup == "DEL")
                Assert.False(lab.Exec(pod, "ip", "link", "show", "eth0").Succeeded, $"eth0 survived a kill at {killAfter.TotalMilliseconds} ms and DEL");
        }
        Assert.True(caughtMidAdd > 0, $"no kill landed during an ADD (last window {early.TotalMilliseconds}-{late.TotalMilliseconds} ms)");
    }

    /// <summary>The median of three ADDs (each followed by its DEL).</summary>
    private static async Task<TimeSpan> TimeOneAddAsync(CniLab lab, string config)
    {
        var pod = lab.NewPod();
        var times = new List<TimeSpan>();
        for (var i = 0; i < 3; i++)
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            var added = await lab.RunAsync(Plugin.NetlabCni, "ADD", config, CniLab.Environment("ADD", "timing", pod));
            times.Add(started.Elapsed);
            Assert.True(added.Succeeded, added.ToString());
            Assert.True((await lab.RunAsync(Plugin.NetlabCni, "DEL", config, CniLab.Environment("DEL", "timing", pod))).Succeeded);
        }
        return times.Order().ElementAt(1);
    }

    private static string NodeLinks(CniLab lab) => lab.Exec(lab.Node, "ip", "-o", "link").StandardOutput;

    private static string GcWithNothingValid(CniLab lab)
    {
        var config = lab.Config(Plugin.NetlabCni, "1.1.0");
        config["cni.dev/valid-attachments"] = new System.Text.Json.Nodes.JsonArray();
        return config.ToJsonString();
    }
}
