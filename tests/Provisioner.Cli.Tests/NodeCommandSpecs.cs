using System.Net;
using Provisioner.Cli.Commands;
using Provisioner.Core.Config;
using Provisioner.Core.Planning;
using Provisioner.Rendering;
using Provisioner.Testing;
using FabricKind = Provisioner.Core.Model.FabricKind;
using Provisioner.Fabric.Model;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Sources;
using Xunit;

namespace Provisioner.Cli.Tests;

public sealed class NodeCommandSpecs : IDisposable
{
    private readonly TempDir _dir = new();

    /// <summary>A routed fabric for node a with peer b, addresses left to apply time.</summary>
    internal static NodeFabric RoutedFabric(string a = "a", string b = "b", string aAddress = "", string bAddress = "") => new()
    {
        Node = a, Kind = FabricKind.Routed, Vni = 4242, PodCidr = "10.244.0.0/16", PodSubnet = "10.244.1.0/24", Gateway = "10.244.1.1",
        PodMtu = 1500, UnderlayAddress = aAddress, UnderlayPrefix = 24,
        Peers = [new FabricPeer(b, bAddress, "10.244.2.0/24", "10.244.2.1")],
    };

    internal static NodeServicesDocument Services(string node = "a", IReadOnlyList<string>? nodeIPs = null) => new(RuleBackend.Iptables,
        new NodeContext(node, nodeIPs ?? [], "10.244.0.0/16", "10.96.0.0/16"),
        new ServiceTable([new Service
        {
            Namespace = "default", Name = "web", Type = ServiceType.NodePort, ClusterIP = "10.96.0.10",
            Ports = [new ServicePort("http", 80, 8080, ServiceProtocol.TCP, 30080)],
            Endpoints = [new Endpoint("10.244.1.5", node)],
        }]));

    [Fact]
    public void It_keeps_the_node_commands_out_of_the_help()
    {
        var help = CliRun.Of("--help");
        Assert.DoesNotContain("node", help.Output.Split('\n').Where(l => l.StartsWith("  ", StringComparison.Ordinal)).Select(l => l.Trim().Split(' ')[0]));
        Assert.Equal(0, CliRun.Of("node", "fabric", "apply", "--help").ExitCode);
    }

    [Fact]
    public void I_can_give_each_node_address_as_name_equals_ip()
    {
        var parse = NetlabCli.BuildRoot().Parse(["node", "fabric", "apply", "f.json", "--node-address", "a=192.168.64.10", "--node-address", "b=192.168.64.11"]);

        Assert.Empty(parse.Errors);
        var addresses = parse.GetValue<IReadOnlyDictionary<string, IPAddress>>("--node-address")!;
        Assert.Equal(IPAddress.Parse("192.168.64.11"), addresses["b"]);
        Assert.Equal(2, addresses.Count);
    }

    [Theory]
    [InlineData("192.168.64.10", "is not NAME=IP")]
    [InlineData("=192.168.64.10", "is not NAME=IP")]
    [InlineData("a=192.168.64", "'192.168.64' is not an IP address")]
    [InlineData("a=", "'' is not an IP address")]
    public void It_refuses_a_node_address_that_is_not_name_equals_ip(string value, string problem)
    {
        var run = CliRun.Of("node", "fabric", "apply", "f.json", "--node-address", value);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(problem, run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void It_refuses_a_node_given_two_addresses()
    {
        var run = CliRun.Of("node", "services", "apply", "s.json", "--node-address", "a=10.0.0.1", "--node-address", "a=10.0.0.2");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--node-address a is given twice (10.0.0.1 and 10.0.0.2)", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void It_refuses_a_fabric_document_with_an_address_missing_before_touching_the_host()
    {
        var file = _dir.File("fabric.json", FabricJson.Serialize(RoutedFabric()));

        var run = CliRun.Of("node", "fabric", "apply", file, "--node-address", "a=192.168.64.10");

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains("no underlay address for b; pass --node-address b=IP", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void It_refuses_a_node_address_for_a_node_the_fabric_does_not_know()
    {
        var file = _dir.File("fabric.json", FabricJson.Serialize(RoutedFabric()));

        var run = CliRun.Of("node", "fabric", "apply", file, "--node-address", "c=192.168.64.12");

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains("names c, which the fabric document does not know (nodes: a, b)", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void It_refuses_a_services_document_without_the_nodes_address()
    {
        var file = _dir.File("services.json", Services().Serialize());

        var run = CliRun.Of("node", "services", "apply", file, "--node-address", "b=192.168.64.11");

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains("pass --node-address a=IP", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fabric")]
    [InlineData("services")]
    public void It_refuses_a_document_that_is_not_json_or_not_there(string component)
    {
        var broken = CliRun.Of("node", component, "apply", _dir.File("doc.json", "{ \"node\": "), "--node-address", "a=10.0.0.1");
        var missing = CliRun.Of("node", component, "apply", _dir.Of("absent.json"));

        Assert.Equal(ExitCodes.Failed, broken.ExitCode);
        Assert.Contains("is not", broken.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Failed, missing.ExitCode);
        Assert.Contains("absent.json", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Reapply_says_what_is_missing_when_nothing_was_ever_applied()
    {
        var run = CliRun.Of("node", "reapply", "--state-dir", _dir.Of("applied"));

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains($"nothing to re-apply: {_dir.Of("applied")} has no fabric.json or services.json", run.Error, StringComparison.Ordinal);
        Assert.Contains("`netlab node fabric apply` and `netlab node services apply` save them there", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_apply_saves_nothing_for_the_next_boot()
    {
        var file = _dir.File("fabric.json", FabricJson.Serialize(RoutedFabric()));

        var run = CliRun.Of("node", "fabric", "apply", file, "--node-address", "a=192.168.64.10", "--state-dir", _dir.Of("applied"));

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.False(Directory.Exists(_dir.Of("applied")), "nothing is saved before the apply succeeds");
    }

    [Fact]
    public void The_state_dir_defaults_to_the_well_known_place_the_boot_unit_reads()
    {
        var parse = NetlabCli.BuildRoot().Parse(["node", "reapply"]);

        Assert.Empty(parse.Errors);
        Assert.Equal("/var/lib/netlab/applied", parse.GetValue<DirectoryInfo>("--state-dir")!.FullName);
    }

    [Fact]
    public void The_boot_unit_runs_a_reapply_this_netlab_understands_on_the_documents_apply_saves()
    {
        var plan = LabPlan.For(StackFile.Parse(File.ReadAllText(RepoPaths.Of("Pulumi.dev.yaml")), "Pulumi.dev.yaml"));
        var unit = LabRenderer.RenderNode(plan, "worker1").Single(f => f.RelativePath == NodeFiles.NodeService).Content;
        var exec = unit.Split('\n').Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal))["ExecStart=".Length..].Split(' ');

        Assert.Equal("/opt/netlab/bin/netlab", exec[0]);
        var parse = NetlabCli.BuildRoot().Parse(exec[1..]);
        Assert.Empty(parse.Errors);
        Assert.Equal(["node", "reapply"], exec[1..3]);
        Assert.Equal(AppliedDocuments.DefaultDirectory, parse.GetValue<DirectoryInfo>("--state-dir")!.FullName);
    }

    [Fact]
    public void I_can_round_trip_both_documents()
    {
        var fabric = RoutedFabric(aAddress: "192.168.64.10", bAddress: "192.168.64.11");
        Assert.Equal(fabric, FabricJson.Deserialize(FabricJson.Serialize(fabric)));
        Assert.Equal(fabric, FabricJson.Deserialize(FabricJson.Serialize(fabric.WithoutAddresses()))
            .WithAddresses(new Dictionary<string, IPAddress> { ["a"] = IPAddress.Parse("192.168.64.10"), ["b"] = IPAddress.Parse("192.168.64.11") }));

        var services = Services(nodeIPs: ["192.168.64.10"]);
        var json = services.Serialize();
        var back = NodeServicesDocument.Deserialize(json);
        Assert.Equal(json, back.Serialize());
        Assert.Equal(RuleBackend.Iptables, back.Backend);
        Assert.Equal(["192.168.64.10"], back.Node.NodeIPs);
        Assert.Equal(30080, back.Table.Services[0].Ports[0].NodePort);
        Assert.Equal("a", back.Table.Services[0].Endpoints[0].NodeName);
        Assert.Contains("\"type\": \"NodePort\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"key\"", json, StringComparison.Ordinal); // derived properties stay out of the document
    }

    public void Dispose() => _dir.Dispose();
}
