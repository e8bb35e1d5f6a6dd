using Provisioner.Core.Config;
using Provisioner.Core.Model;
using Provisioner.Core.Tests.Support;

namespace Provisioner.Core.Tests.Config;

/// <summary>infra/ reads the same keys through Pulumi's Config.Get: plain text, or JSON for structured values.</summary>
public class PulumiConfigSpecs
{
    [Fact]
    public void Pulumi_values_give_the_same_lab_as_the_stack_file()
    {
        var fromFile = StackFile.Load(Stacks.ExamplePath);

        var (fromPulumi, problems) = LabConfigReader.Read(PulumiConfig.From(Stacks.ExampleYaml), "dev");

        Assert.Empty(problems);
        var snapshot = PulumiConfig.Snapshot(fromFile);
        Assert.Contains("\"web-local\"", snapshot, StringComparison.Ordinal); // the snapshot reaches nested lists
        Assert.Contains("\"NodePort\": 30080", snapshot, StringComparison.Ordinal);
        Assert.Equal(snapshot, PulumiConfig.Snapshot(fromPulumi));
    }

    [Fact]
    public void The_fake_Pulumi_config_gives_JSON_with_typed_numbers_as_Pulumi_does()
    {
        var get = PulumiConfig.From(Stacks.ExampleYaml);

        Assert.Equal("dev", get("name"));
        Assert.Equal("24.04", get("image"));
        Assert.StartsWith("[{\"name\":\"cp1\",\"role\":\"control-plane\",\"cpus\":2,", get("nodes"), StringComparison.Ordinal);
        Assert.Contains("\"version\":\"1.35\"", get("kubernetes"), StringComparison.Ordinal);
        Assert.Null(get("backendz"));
    }

    [Fact]
    public void I_can_read_hand_written_JSON_as_Pulumi_gives_it()
    {
        var values = new Dictionary<string, string>
        {
            ["name"] = "alice",
            ["backend"] = "netns",
            ["network"] = """{"fabric":"routed","vni":7,"underlayMtu":9000,"mtu":8950,"ovsDatapath":"netdev"}""",
            ["nodes"] = """[{"name":"cp1","role":"control-plane","cpus":4,"memory":"8G","disk":"40G"},{"name":"w1"}]""",
            ["pods"] = """[{"name":"p1","node":"w1","labels":{"app":"web","tier":"front"},"port":9090}]""",
            ["services"] = """[{"name":"s","type":"NodePort","selector":{"app":"web"},"externalIPs":["192.168.64.200"],"ports":[{"port":80,"targetPort":9090,"protocol":"UDP","nodePort":30001}]}]""",
        };

        var (lab, problems) = LabConfigReader.Read(values.GetValueOrDefault);

        Assert.Empty(problems);
        Assert.Equal(("alice", Backend.Netns), (lab.Name, lab.Backend));
        Assert.Equal((FabricKind.Routed, 7, 9000, 8950, (OvsDatapath?)OvsDatapath.Netdev),
            (lab.Network.Fabric, lab.Network.Vni, lab.Network.UnderlayMtu, lab.Network.Mtu, lab.Network.OvsDatapath));
        Assert.Equal((4, "8G", "40G"), (lab.Nodes[0].Cpus, lab.Nodes[0].Memory.ToString(), lab.Nodes[0].Disk.ToString()));
        Assert.Equal(NodeRole.Worker, lab.Nodes[1].Role);
        Assert.Equal(["app", "tier"], lab.Pods[0].Labels.Keys);
        Assert.Equal(9090, lab.Pods[0].Port);
        var port = Assert.Single(lab.Services[0].Ports);
        Assert.Equal((80, 9090, TransportProtocol.UDP, 30001), (port.Port, port.TargetPort, port.Protocol, port.NodePort));
        Assert.Equal(["192.168.64.200"], lab.Services[0].ExternalIPs.AsEnumerable());
    }

    [Fact]
    public void It_reports_a_structured_value_that_is_not_valid_JSON_under_its_key()
    {
        var (_, problems) = LabConfigReader.Read(key => key == "nodes" ? """[{"name": "cp1",""" : null, "lab");

        Assert.Contains(problems, p => p.Key == "nodes" && p.Message.StartsWith("is not valid YAML or JSON", StringComparison.Ordinal));
    }

    [Fact]
    public void It_asks_for_a_name_when_there_is_no_stack_name_to_default_to()
    {
        var (_, problems) = LabConfigReader.Read(_ => null);

        Assert.Single(problems).Names("name", null).Says("is required").FixedBySetting("name", "mylab");
    }

    [Fact]
    public void The_name_defaults_to_the_stack_name_Pulumi_gives()
    {
        var (lab, problems) = LabConfigReader.Read(_ => null, "bob");

        Assert.Empty(problems);
        Assert.Equal("bob", lab.Name);
    }

    [Fact]
    public void A_JSON_number_where_a_list_belongs_is_reported_with_its_path()
    {
        var (_, problems) = LabConfigReader.Read(key => key == "nodes" ? """[{"name":"cp1","cpus":[2]}]""" : null, "lab");

        Assert.Single(problems).Names("nodes[0].cpus", null).Says("must be a single value");
    }
}
