using System.Text.Json;
using Provisioner.Core.Config;
using Provisioner.Core.Planning;
using Provisioner.Netns;
using Provisioner.Observability.Drills;
using Xunit;

namespace Provisioner.Observability.Tests;

/// <summary>The catalogue as computed for a lab's plan, without a kernel: which drills each fabric offers, and what they say.</summary>
public sealed class DrillCatalogSpecs
{
    private static (LabPlan Plan, LabLayout Layout) Lab(string fabric)
    {
        var path = Path.Combine(Path.GetTempPath(), $"netlab-catalog-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, $$"""
            config:
              netlab:name: cat
              netlab:backend: netns
              netlab:network: { fabric: {{fabric}}, serviceRules: iptables }
              netlab:nodes:
                - { name: cp1, role: control-plane, podCidr: 10.244.0.0/24 }
                - { name: w1, podCidr: 10.244.1.0/24 }
              netlab:pods:
                - { name: web-1, node: w1, labels: { app: web } }
                - { name: client, node: cp1, labels: { app: client } }
              netlab:services:
                - { name: web, selector: { app: web }, ports: [ { port: 80, targetPort: 8080 } ] }
            """);
        try
        {
            var plan = LabPlan.For(StackFile.Load(path));
            return (plan, LabLayout.For(plan.Lab, "/run/netlab-test-none"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static IReadOnlyList<Drill> For(string fabric, Func<string, string?>? podAddress = null)
    {
        var (plan, layout) = Lab(fabric);
        return DrillCatalog.For(plan, layout, podAddress ?? (pod => pod == "client" ? "10.244.0.3" : "10.244.1.2"));
    }

    [Theory]
    [InlineData("linux-vxlan", "lost-route tunnel-mtu rp-filter bridge-netfilter conntrack-full service-blackhole stale-udp resolv-conf policy-blocks-dns")]
    [InlineData("ovs-vxlan", "tunnel-mtu bridge-netfilter conntrack-full service-blackhole stale-udp resolv-conf policy-blocks-dns")]
    [InlineData("routed", "lost-route bridge-netfilter conntrack-full service-blackhole stale-udp resolv-conf policy-blocks-dns")]
    public void Each_fabric_offers_the_drills_that_can_break_it(string fabric, string names) =>
        Assert.Equal(names, string.Join(' ', For(fabric).Select(d => d.Name)));

    [Fact]
    public void No_symptom_names_the_layer_that_broke_or_the_setting_behind_it()
    {
        foreach (var drill in For("linux-vxlan"))
        {
            foreach (var secret in new[] { drill.Layer, "rp_filter", "conntrack", "br_netfilter", "bridge-nf", "mtu", "resolv.conf", "route del" })
                Assert.False(drill.Symptom.Contains(secret, StringComparison.OrdinalIgnoreCase), $"{drill.Name}'s symptom gives away '{secret}': {drill.Symptom}");
        }
    }

    [Fact]
    public void The_stale_UDP_drill_needs_the_client_pod_s_address_and_points_its_entry_at_an_address_no_pod_has()
    {
        Assert.DoesNotContain(For("linux-vxlan", _ => null), d => d.Name == "stale-udp");

        var drill = For("linux-vxlan").Single(d => d.Name == "stale-udp");
        var insert = drill.Break.Single(c => c.Arguments.Contains("-I")).Arguments;
        Assert.Equal("10.244.0.3", insert[insert.ToList().IndexOf("-s") + 1]);
        Assert.Equal("10.244.0.254:53", insert[insert.ToList().IndexOf("--dst-nat") + 1]);
        Assert.True(drill.Break[0].MayFail); // the fixed-port flow verify made may or may not be there
    }

    [Fact]
    public void A_running_drill_s_state_file_keeps_its_restore_commands_but_not_what_was_fed_to_the_break()
    {
        var drill = For("linux-vxlan").Single(d => d.Name == "conntrack-full");
        Assert.Contains(drill.Break, c => c.Stdin is not null);
        var json = JsonSerializer.Serialize(new ActiveDrill(drill, DateTimeOffset.UnixEpoch), DrillJson.Default.ActiveDrill);

        var back = JsonSerializer.Deserialize(json, DrillJson.Default.ActiveDrill)!;
        Assert.Equal(drill.Restore.Select(c => string.Join(' ', c.Arguments)), back.Drill.Restore.Select(c => string.Join(' ', c.Arguments)));
        Assert.DoesNotContain("stdin", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("mayFail", json, StringComparison.Ordinal);
    }
}
