using Provisioner.Host.Processes;
using Provisioner.Observability.Metrics;
using Provisioner.ServiceRules.Applying;
using Xunit;

namespace Provisioner.Observability.Tests;

/// <summary><c>netlab metrics --node</c>: a node that samples itself, knowing nothing but its rules and its namespace.</summary>
public class NodeModeSpecs
{
    [Fact]
    public void Iptables_counters_are_named_by_the_rules_own_comments_without_any_service_table()
    {
        var node = ServiceFixtures.Node(RuleBackend.Iptables);
        var save = KernelCounters.ParseIptablesSave(ServiceFixtures.IptablesSave(node));

        var known = RuleCounterMatcher.FromIptables(node, save);
        var blind = RuleCounterMatcher.FromIptables(node with { Ports = [] }, save);

        Assert.Equal([("default/web", "cluster IP", 3L), ("default/web", "node port", 0L)],
            blind.Services.Select(s => (s.Service, s.Frontend, s.Packets)).Order().ToList());
        Assert.Equal(known.Services.OrderBy(s => s.Rule, StringComparer.Ordinal), blind.Services.OrderBy(s => s.Rule, StringComparer.Ordinal));
        Assert.Equal(known.Endpoints.OrderBy(e => e.Rule, StringComparer.Ordinal), blind.Endpoints.OrderBy(e => e.Rule, StringComparer.Ordinal));
        Assert.Equal([("default/web", "10.244.0.3:8080", 2L), ("default/web", "10.244.1.2:8080", 1L)],
            blind.Endpoints.Select(e => (e.Service, e.Endpoint, e.Packets)).Order().ToList());
    }

    [Fact]
    public void A_dispatch_chain_split_or_renamed_still_has_its_service_rules_counted()
    {
        var node = ServiceFixtures.Node(RuleBackend.Iptables);
        var split = ServiceFixtures.IptablesSave(node)
            .Replace("-A NETLAB-SERVICES ", "-A NETLAB-SERVICES-TCP ", StringComparison.Ordinal)
            .Replace("-A NETLAB-NODEPORTS ", "-A NETLAB-NODEPORTS-1 ", StringComparison.Ordinal);

        var (services, _) = RuleCounterMatcher.FromIptables(node with { Ports = [] }, KernelCounters.ParseIptablesSave(split));

        Assert.Equal([("default/web", "cluster IP", "NETLAB-SERVICES-TCP"), ("default/web", "node port", "NETLAB-NODEPORTS-1")],
            services.Select(s => (s.Service, s.Frontend, s.Rule.Split(' ')[0])).Order().ToList());
    }

    [Fact]
    public async Task A_node_reads_the_namespace_it_runs_in_as_it_is()
    {
        var targets = NodeTargets.Build("w1", "lab-w1", RuleBackend.Iptables, ovsDbSocket: null);

        var sample = await new LabSampler(ProcessRunner.Default).SampleAsync(targets);

        var own = Assert.Single(sample.Namespaces);
        Assert.Equal(("lab-w1", NamespaceRole.Node, "w1"), (own.Namespace.Netns, own.Namespace.Role, own.Namespace.Owner));
        var expected = KernelCounters.ParseNetDev(File.ReadAllText("/proc/self/net/dev")).Select(i => i.Name).Where(n => n != "lo").Order(StringComparer.Ordinal);
        Assert.Equal(expected, own.Interfaces.Select(i => i.Name).Order(StringComparer.Ordinal));
        Assert.NotNull(own.TcpRetransmits);
    }

    [Fact]
    public void File_sd_targets_list_every_node_at_its_address_labelled_with_the_lab_and_node()
    {
        var json = ScrapeTargets.FileSd("dev", 9108, [new("worker1", "192.168.64.12"), new("cp1", "192.168.64.11")]);

        using var document = System.Text.Json.JsonDocument.Parse(json);
        var groups = document.RootElement.EnumerateArray().Select(g => (
            Target: g.GetProperty("targets").EnumerateArray().Single().GetString(),
            Lab: g.GetProperty("labels").GetProperty("lab").GetString(),
            Node: g.GetProperty("labels").GetProperty("lab_node").GetString())).ToList();
        Assert.Equal([("192.168.64.11:9108", "dev", "cp1"), ("192.168.64.12:9108", "dev", "worker1")], groups);
    }
}
