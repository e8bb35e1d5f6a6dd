using Provisioner.Core.Config;
using Provisioner.Core.Model;
using Provisioner.Core.Tests.Support;
using Provisioner.Core.Validation;

namespace Provisioner.Core.Tests.Config;

public class StackFileSpecs
{
    [Fact]
    public void I_can_load_the_example_stack_with_every_value_it_sets()
    {
        var lab = StackFile.Load(Stacks.ExamplePath);

        Assert.Equal("dev", lab.Name);
        Assert.Equal(Backend.Multipass, lab.Backend);
        Assert.Equal("24.04", lab.Image);
        Assert.Equal("1.35", lab.Kubernetes.Version);
        Assert.True(lab.Kubernetes.Containerd.SystemdCgroup);
        Assert.Equal("registry.k8s.io/pause:3.10", lab.Kubernetes.Containerd.SandboxImage);

        var n = lab.Network;
        Assert.Equal(("10.244.0.0/16", 24, "10.96.0.0/16", "192.168.64.0/24"), (n.PodCidr, n.NodePodPrefix, n.ServiceCidr, n.NodeCidr));
        Assert.Equal((FabricKind.OvsVxlan, 4242, 1500, 0), (n.Fabric, n.Vni, n.UnderlayMtu, n.Mtu));
        Assert.Equal((ServiceProxy.Netlab, RuleBackend.Iptables), (n.ServiceProxy, n.ServiceRules));

        Assert.Equal(["cp1", "worker1", "worker2"], lab.Nodes.Select(x => x.Name));
        Assert.Equal("cp1", lab.ControlPlane.Name);
        Assert.Equal([NodeRole.ControlPlane, NodeRole.Worker, NodeRole.Worker], lab.Nodes.Select(x => x.Role));
        Assert.Equal(["4G", "2G", "2G"], lab.Nodes.Select(x => x.Memory.ToString()));
        Assert.All(lab.Nodes, x => Assert.Equal((2, ByteSize.FromGiB(20)), (x.Cpus, x.Disk)));

        Assert.Equal(["web-1", "web-2", "web-3", "api-1", "api-2", "client"], lab.Pods.Select(p => p.Name));
        Assert.Equal("worker2", lab.Pods[1].Node);
        Assert.Equal("web", lab.Pods[1].Labels["app"]);
        Assert.All(lab.Pods, p => Assert.Equal(8080, p.Port));

        Assert.Equal(["web", "api", "web-local", "web-lb"], lab.Services.Select(s => s.Name));
        Assert.Equal([ServiceType.ClusterIP, ServiceType.NodePort, ServiceType.NodePort, ServiceType.LoadBalancer], lab.Services.Select(s => s.Type));
        var api = lab.Services[1];
        Assert.Equal(SessionAffinity.ClientIP, api.SessionAffinity);
        Assert.Equal(("http", 8080, 8080, 30080, TransportProtocol.TCP),
            (api.Ports[0].Name, api.Ports[0].Port, api.Ports[0].TargetPort, api.Ports[0].NodePort, api.Ports[0].Protocol));
        Assert.Equal(TrafficPolicy.Local, lab.Services[2].ExternalTrafficPolicy);
        Assert.Equal("web", lab.Services[2].Selector["app"]);
    }

    [Fact]
    public void I_can_load_a_minimal_stack_and_get_the_documented_defaults()
    {
        var lab = Stacks.Load(Stacks.Minimal, "Pulumi.mini.yaml");

        Assert.Equal(Backend.Multipass, lab.Backend);
        Assert.Equal("24.04", lab.Image);
        Assert.Equal("1.35", lab.Kubernetes.Version);
        Assert.Equal(new NetworkSpec(), lab.Network);
        var node = Assert.Single(lab.Nodes);
        Assert.Equal((2, "2G", "20G"), (node.Cpus, node.Memory.ToString(), node.Disk.ToString()));
        Assert.Empty(lab.Pods);
        Assert.Empty(lab.Services);
    }

    [Theory]
    [InlineData("Pulumi.alice.yaml", "alice")]
    [InlineData("/home/alice/lab/Pulumi.dev.yaml", "dev")]
    [InlineData("Pulumi.my-lab.yaml", "my-lab")]
    public void The_lab_name_defaults_to_the_stack_name_from_the_file_name(string path, string name) =>
        Assert.Equal(name, Stacks.Load(Stacks.Minimal, path).Name);

    [Theory]
    [InlineData("Pulumi.yaml")]
    [InlineData("stack.yaml")]
    [InlineData("Pulumi.dev.yml")]
    public void A_file_name_that_is_not_a_stack_file_names_no_stack(string path) =>
        Assert.Null(StackFile.StackName(path));

    [Fact]
    public void An_explicit_name_wins_over_the_stack_name()
    {
        var yaml = Stacks.Minimal.Replace("config:", "config:\n  netlab:name: bob", StringComparison.Ordinal);
        Assert.Equal("bob", Stacks.Load(yaml, "Pulumi.alice.yaml").Name);
    }

    [Fact]
    public void It_asks_for_a_name_when_the_source_names_no_stack()
    {
        var e = Assert.Throws<LabConfigException>(() => StackFile.Parse(Stacks.Minimal));
        var problem = Assert.Single(e.Problems);
        problem.Names("name", null).Says("is required").FixedBySetting("name", "mylab");
    }

    [Fact]
    public void It_ignores_keys_of_other_namespaces()
    {
        var yaml = Stacks.Minimal.Replace("config:", """
            config:
              command:foo: bar
              aws:region: eu-west-1
              pulumi:tags:
                value: { a: b }
            """, StringComparison.Ordinal);
        Assert.Equal("test", Stacks.Load(yaml).Name);
    }

    [Fact]
    public void It_reports_a_missing_config_section()
    {
        foreach (var yaml in new[] { "encryptionsalt: abc\n", "", "config:\n", "- a\n- b\n" })
        {
            var problem = Assert.Single(Stacks.ProblemsOf(yaml, "Pulumi.x.yaml"));
            problem.Names("Pulumi.x.yaml", null).Says("has no 'config:' section").Fixes("Pulumi.dev.yaml");
        }
    }

    [Fact]
    public void It_gives_the_line_of_invalid_yaml()
    {
        const string yaml = """
            config:
              netlab:name: dev
               netlab:image: x
            """;
        var problem = Assert.Single(Stacks.ProblemsOf(yaml, "Pulumi.x.yaml"));
        problem.Names("Pulumi.x.yaml", null).Says("is not valid YAML at line 3: ").Fixes("fix the YAML syntax");
        Assert.DoesNotContain("..", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void It_reports_an_unclosed_mapping_before_a_dedented_line_as_invalid_yaml()
    {
        // YamlDotNet's scanner throws InvalidOperationException here, not a YamlException
        const string yaml = """
            config:
              netlab:network:
                mtu: {size: 1450
              netlab:name: dev
            """;
        var problem = Assert.Single(Stacks.ProblemsOf(yaml, "Pulumi.x.yaml"));
        problem.Names("Pulumi.x.yaml", null).Says("is not valid YAML at line 3: ").Says("unclosed").Fixes("fix the YAML syntax");
    }

    [Fact]
    public void It_gives_the_line_where_an_unclosed_list_is_noticed()
    {
        const string yaml = """
            config:
              netlab:nodes:
                - name: cp1
                  role: [control-plane
            """;
        Assert.Single(Stacks.ProblemsOf(yaml, "Pulumi.x.yaml")).Says("is not valid YAML at line 5");
    }

    [Fact]
    public void It_reports_a_duplicated_key_with_its_line()
    {
        const string yaml = """
            config:
              netlab:name: dev
              netlab:name: other
            """;
        var problem = Assert.Single(Stacks.ProblemsOf(yaml, "Pulumi.x.yaml"));
        Assert.Contains("line 3", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void It_reports_a_missing_stack_file_with_the_option_that_names_one()
    {
        var e = Assert.Throws<LabConfigException>(() => StackFile.Load("/nonexistent/Pulumi.nope.yaml"));
        Assert.Single(e.Problems).Names("--stack", "/nonexistent/Pulumi.nope.yaml").Says("no such stack file").Fixes("--stack");
    }

    [Fact]
    public void The_exception_message_lists_every_problem_with_its_fix()
    {
        var e = Assert.Throws<LabConfigException>(() => StackFile.Parse("config:\n  netlab:nodes: []\n  netlab:nmae: x\n", "Pulumi.t.yaml"));
        Assert.Equal(2, e.Problems.Count);
        Assert.Contains("2 problem(s)", e.Message, StringComparison.Ordinal);
        Assert.All(e.Problems, p => Assert.Contains(p.ToString(), e.Message, StringComparison.Ordinal));
    }
}

public class ConfigProblemSpecs
{
    [Fact]
    public void A_problem_reads_as_key_message_value_and_fix()
    {
        Assert.Equal("network.vni: must be from 1 to 16777215 (got '0'). Fix: pulumi config set --path 'network.vni' 4242",
            new ConfigProblem("network.vni", "0", "must be from 1 to 16777215", "pulumi config set --path 'network.vni' 4242").ToString());
        Assert.Equal("nodes: lists no nodes. Fix: add one", new ConfigProblem("nodes", null, "lists no nodes", "add one").ToString());
    }
}
