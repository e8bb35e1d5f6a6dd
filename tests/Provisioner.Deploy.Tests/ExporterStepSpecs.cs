using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Deploy.Multipass;
using Xunit;

namespace Provisioner.Deploy.Tests;

/// <summary>netlab-metrics on the VM lab: one unit per node, beside netlab-proxy, on a port of its own.</summary>
public sealed class ExporterStepSpecs
{
    private readonly DeploymentPlan _deployment = Labs.Multipass();

    [Fact]
    public void Every_node_runs_the_node_exporter_once_its_fabric_step_put_netlab_on_it()
    {
        foreach (var node in Labs.Example.Nodes.Select(n => n.Name))
        {
            var step = _deployment.Step(ExporterSteps.Id(node));
            Assert.Contains(LabPlan.FabricId(node), step.DependsOn);
            Assert.Contains($"multipass exec dev-{node} -- sudo systemctl restart netlab-metrics", step.Create, StringComparison.Ordinal);
            Assert.Equal(ChangeMode.UpdateInPlace, step.OnChange);
            Assert.Contains("disable --now netlab-metrics", step.Delete, StringComparison.Ordinal);
            var unit = Assert.Single(step.LocalFiles).Content;
            Assert.Contains($"ExecStart=/opt/netlab/bin/netlab metrics --node {node} --namespace dev-{node} --proxy-mode iptables --listen 0.0.0.0:9108",
                unit, StringComparison.Ordinal);
        }
        var order = _deployment.Steps.Select(s => s.Id).ToList();
        Assert.All(Labs.Example.Nodes, n => Assert.True(order.IndexOf(LabPlan.FabricId(n.Name)) < order.IndexOf(ExporterSteps.Id(n.Name))));
    }

    [Fact]
    public void The_exporter_listens_on_a_port_netlab_proxy_does_not_use()
    {
        var proxyUnit = ProxySteps.Render(LabPlan.For(Labs.Example), "worker1").Unit;
        var exporterPort = NetworkSpec.DefaultExporterBindAddress.Split(':')[1];

        Assert.Contains("--metrics-bind-address 127.0.0.1:10249", proxyUnit, StringComparison.Ordinal);
        Assert.Contains("--healthz-bind-address 0.0.0.0:10256", proxyUnit, StringComparison.Ordinal);
        Assert.DoesNotContain(":" + exporterPort, proxyUnit, StringComparison.Ordinal);
    }

    [Fact]
    public void The_OVS_fabric_has_its_tunnel_ports_read_from_the_nodes_Open_vSwitch_and_the_kernel_fabrics_do_not()
    {
        var ovs = ExporterSteps.Render(LabPlan.For(Labs.Example with { Network = Labs.Example.Network with { Fabric = FabricKind.OvsVxlan } }), "cp1");
        var vxlan = ExporterSteps.Render(LabPlan.For(Labs.Example with { Network = Labs.Example.Network with { Fabric = FabricKind.LinuxVxlan } }), "cp1");

        Assert.Contains("--ovs-db /run/openvswitch/db.sock", ovs, StringComparison.Ordinal);
        Assert.Contains("After=network-online.target openvswitch-switch.service", ovs, StringComparison.Ordinal);
        Assert.DoesNotContain("--ovs-db", vxlan, StringComparison.Ordinal);
        Assert.DoesNotContain("openvswitch", vxlan, StringComparison.Ordinal);
    }

    [Fact]
    public void A_preview_shows_the_exporter_address_that_changes_and_no_other_step_changes()
    {
        var lab = Labs.Example with { Network = Labs.Example.Network with { ExporterBindAddress = "0.0.0.0:9200" } };
        var moved = Labs.Multipass(lab: lab);
        var before = _deployment.Step(ExporterSteps.Id("worker1")).TriggerVariables;
        var after = moved.Step(ExporterSteps.Id("worker1")).TriggerVariables;

        var changed = before.Where(t => after[t.Key] != t.Value).Select(t => t.Key == "NETLAB_TRIGGER_METRICS_LISTEN" ? $"{t.Key}: {t.Value} -> {after[t.Key]}" : t.Key);

        Assert.Equal(["NETLAB_TRIGGER_FILE_NETLAB_METRICS_SERVICE", "NETLAB_TRIGGER_METRICS_LISTEN: 0.0.0.0:9108 -> 0.0.0.0:9200"], changed.Order(StringComparer.Ordinal));
        var others = _deployment.Steps.Where(s => !s.Id.StartsWith(ExporterSteps.Prefix, StringComparison.Ordinal))
            .Where(s => !s.TriggerVariables.SequenceEqual(moved.Step(s.Id).TriggerVariables)).Select(s => s.Id);
        Assert.Empty(others);
    }
}
