using System.Net;
using Provisioner.Host.Processes;
using Provisioner.Netns;
using Provisioner.Core.Verification;
using Provisioner.Netns.Verify;
using Provisioner.Observability.Drills;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Observability.Tests;

/// <summary>Each drill on a real lab: verify names the broken layer, and <c>drill stop</c> repairs it.</summary>
[Collection(PrivilegedCollection.Name)]
public sealed class DrillSpecs(LabFixture lab) : IClassFixture<LabFixture>
{
    private async Task<IReadOnlyList<VerifyCheck>> VerifyAsync()
    {
        var pods = NetnsLabBuilder.PodReconciler(lab.Lab!.Plan, new NetnsOptions { CniPluginDirectory = AppContext.BaseDirectory }, ProcessRunner.Default, lab.Lab.Layout);
        return await new LabVerifier(lab.Lab.Plan, lab.Lab.Layout, new Probe(ProcessRunner.Default),
            pod => pods.AddressOf(pod) is { } a ? IPAddress.Parse(a) : null).RunAsync();
    }

    [PrivilegedTheory]
    [InlineData("lost-route", Layer.Fabric)]
    [InlineData("service-blackhole", Layer.ServiceRules)]
    public async Task Verify_names_the_layer_a_drill_broke_and_drill_stop_repairs_it(string name, Layer layer)
    {
        var runner = new DrillRunner(lab.Lab!, ProcessRunner.Default);
        try
        {
            var drill = await runner.StartAsync(name);
            Assert.DoesNotContain(drill.Layer, drill.Symptom, StringComparison.OrdinalIgnoreCase); // the symptom, not the cause

            var broken = VerifyCheck.FirstBroken(await VerifyAsync());
            Assert.Equal(layer, broken?.Layer);
            Assert.Equal(drill.Layer, layer.ToString());
        }
        finally
        {
            await runner.StopAsync();
        }
        var checks = await VerifyAsync();
        Assert.True(checks.All(c => c.Passed), string.Join("\n", checks.Where(c => !c.Passed).Select(c => $"{c.Layer} {c.Name}: {c.Detail}")));
        Assert.Null(runner.Active);
    }

    [PrivilegedFact]
    public async Task The_trace_of_a_probe_into_a_blackholed_service_ends_at_the_drill_s_rule()
    {
        var runner = new DrillRunner(lab.Lab!, ProcessRunner.Default);
        await runner.StartAsync("service-blackhole");
        try
        {
            var trace = await Traces.RunAsync(lab, "client", "web");

            Assert.False(trace.Delivered, Traces.Describe(trace));
            Assert.Contains("DROP", Traces.Hop(trace, "node cp1 netfilter").What, StringComparison.Ordinal);
        }
        finally
        {
            await runner.StopAsync();
        }
    }
}
