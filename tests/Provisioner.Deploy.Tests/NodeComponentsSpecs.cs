using System.Net;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Fabric.Model;
using Provisioner.ServiceRules.Sources;
using Xunit;

namespace Provisioner.Deploy.Tests;

public sealed class NodeComponentsSpecs
{
    private readonly DeploymentPlan _deployment = Labs.Multipass();

    private static LabConfig WithWorker3 => Labs.Example with { Nodes = Labs.Example.Nodes.Add(Labs.Example.Nodes[1] with { Name = "worker3", PodCidr = null }) };

    [Fact]
    public void I_can_see_in_the_fabric_triggers_a_tunnel_and_a_route_to_every_other_node()
    {
        var lines = Lines(_deployment, LabPlan.FabricId("worker1"), "fabric.");

        Assert.Contains("tunnel vx-cp1 remote=<cp1> vni=4242", lines);
        Assert.Contains("tunnel vx-worker2 remote=<worker2> vni=4242", lines);
        Assert.Contains("route 10.244.2.0/24 via 10.244.2.1 dev netlab0 onlink", lines);
        Assert.DoesNotContain(lines, l => l.Contains("vx-worker1", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("192.168.64.", StringComparison.Ordinal)); // VM addresses are not planned
    }

    [Fact]
    public void I_can_add_a_worker_and_change_every_other_fabric_by_exactly_its_tunnel_route_and_flows()
    {
        var grown = Labs.Multipass(lab: WithWorker3);

        foreach (var node in new[] { "cp1", "worker1", "worker2" })
        {
            var before = Lines(_deployment, LabPlan.FabricId(node), "fabric.");
            var after = Lines(grown, LabPlan.FabricId(node), "fabric.");
            Assert.Empty(before.Except(after));
            var added = after.Except(before).ToList();
            Assert.Equal(5, added.Count);
            Assert.Contains("tunnel vx-worker3 remote=<worker3> vni=4242", added);
            Assert.Contains("route 10.244.199.0/24 via 10.244.199.1 dev netlab0 onlink", added); // worker3 hashes to slice 199
            Assert.All(added.Where(l => l.StartsWith("flow ", StringComparison.Ordinal)),
                l => Assert.Contains("vx-worker3", l, StringComparison.Ordinal));
            // in a preview: five new trigger variables, and no existing one changes its value
            var variablesBefore = _deployment.Step(LabPlan.FabricId(node)).TriggerVariables;
            var variablesAfter = grown.Step(LabPlan.FabricId(node)).TriggerVariables;
            var newVariables = variablesAfter.Keys.Except(variablesBefore.Keys).ToList();
            Assert.Equal(5, newVariables.Count);
            Assert.Contains("NETLAB_TRIGGER_FABRIC_TUNNEL_", newVariables.Select(v => v[..^8]));
            Assert.Equal(["NETLAB_TRIGGER_FILE_FABRIC_JSON"], variablesBefore.Where(v => variablesAfter[v.Key] != v.Value).Select(v => v.Key));
            // the services did not change: neither did their rules
            Assert.Equal(_deployment.Step(LabPlan.ServiceRulesId(node)).Triggers, grown.Step(LabPlan.ServiceRulesId(node)).Triggers);
        }
    }

    [Fact]
    public void A_service_change_leaves_the_VM_nodes_alone_since_netlab_proxy_reads_services_from_the_API()
    {
        var services = Labs.Example.Services;
        var web = services.Single(s => s.Name == "web");
        var lab = Labs.Example with { Services = services.Replace(web, web with { Ports = [web.Ports[0] with { Port = 81 }] }) };
        var changed = Labs.Multipass(lab: lab);

        foreach (var node in new[] { "cp1", "worker1", "worker2" })
        {
            Assert.Equal(_deployment.Step(LabPlan.ServiceRulesId(node)).Triggers, changed.Step(LabPlan.ServiceRulesId(node)).Triggers);
            Assert.Equal(_deployment.Step(LabPlan.FabricId(node)).Triggers, changed.Step(LabPlan.FabricId(node)).Triggers);
        }
    }

    [Fact]
    public void I_can_read_back_a_vm_fabric_document_and_fill_in_the_addresses_at_apply_time()
    {
        var document = FabricJson.Deserialize(NodeComponents.Instance.Fabric(_deployment.Plan, "worker1").Content);

        Assert.Equal("worker1", document.Node);
        Assert.Equal(NodeFabricAddresses.Pending, document.UnderlayAddress);
        Assert.Equal(["cp1", "worker2"], document.Peers.Select(p => p.Node));
        Assert.Equal("10.244.2.0/24", document.Peers[1].PodSubnet);

        var addresses = new Dictionary<string, IPAddress>
        {
            ["cp1"] = IPAddress.Parse("192.168.2.10"), ["worker1"] = IPAddress.Parse("192.168.2.11"), ["worker2"] = IPAddress.Parse("192.168.2.12"),
        };
        var filled = document.WithAddresses(addresses);
        Assert.Equal("192.168.2.11", filled.UnderlayAddress);
        Assert.Contains("tunnel vx-worker2 remote=192.168.2.12 vni=4242", filled.Triggers);

        var missing = Assert.Throws<Fabric.FabricException>(() => document.WithAddresses(new Dictionary<string, IPAddress> { ["cp1"] = IPAddress.Loopback }));
        Assert.Contains("--node-address worker1=IP --node-address worker2=IP", missing.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<Fabric.FabricException>(() => document.WithAddresses(new Dictionary<string, IPAddress> { ["worker9"] = IPAddress.Loopback }));
        Assert.Contains("worker9", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void I_can_see_linux_vxlan_peers_by_name_and_mac_before_the_vms_have_addresses()
    {
        var lab = Labs.Example with { Network = Labs.Example.Network with { Fabric = FabricKind.LinuxVxlan } };
        var lines = Lines(Labs.Multipass(lab: lab), LabPlan.FabricId("worker1"), "fabric.");

        Assert.Contains("fdb <worker2-mac> dst <worker2> dev netlab-vxlan", lines);
        Assert.Contains("vxlan netlab-vxlan vni=4242 local=<worker1> dstport=4789 mac=<worker1-mac>", lines);
    }

    [Fact]
    public void It_refuses_the_ovs_userspace_datapath_on_vms_with_the_command_that_fixes_it()
    {
        var lab = Labs.Example with { Network = Labs.Example.Network with { OvsDatapath = OvsDatapath.Netdev } };

        var error = Assert.Throws<Core.Validation.LabConfigException>(() => Labs.Multipass(lab: lab));
        Assert.Contains("pulumi config set --path 'network.ovsDatapath' system", Assert.Single(error.Problems).Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void I_can_read_back_a_services_document_without_endpoints_and_with_the_address_to_come()
    {
        var json = NodeComponents.Instance.ServiceRules(_deployment.Plan, "worker2").Content;
        var document = NodeServicesDocument.Deserialize(json);

        Assert.Contains("\"backend\": \"Iptables\"", json, StringComparison.Ordinal);
        Assert.Equal("worker2", document.Node.NodeName);
        Assert.Empty(document.Node.NodeIPs);
        Assert.Equal("10.244.0.0/16", document.Node.ClusterCidr);
        Assert.Equal(["default/api", "default/web", "default/web-lb", "default/web-local"], document.Table.Services.Select(s => s.Key).Order());
        Assert.All(document.Table.Services, s => Assert.Empty(s.Endpoints));
        Assert.Equal(json, document.Serialize());

        Assert.Equal(["192.168.2.12"], document.NodeWith(IPAddress.Parse("192.168.2.12")).NodeIPs);
        var error = Assert.Throws<InvalidDataException>(() => document.NodeWith(null));
        Assert.Contains("--node-address worker2=IP", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void I_can_see_the_netns_fabric_with_its_planned_addresses()
    {
        var netns = Labs.Netns();
        var document = FabricJson.Deserialize(NodeComponents.Instance.Fabric(netns.Plan, "worker1").Content);
        var lines = Lines(netns, LabPlan.FabricId("worker1"), "fabric.");

        Assert.Equal(netns.Node("worker1").StaticAddress, document.UnderlayAddress);
        Assert.Contains($"tunnel vx-worker2 remote={netns.Node("worker2").StaticAddress} vni=4242", lines);
    }

    private static List<string> Lines(DeploymentPlan deployment, string stepId, string prefix) =>
        [.. deployment.Step(stepId).Triggers.Where(t => t.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(t => t.Value)];
}
