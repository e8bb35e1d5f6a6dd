using Provisioner.Core.Tests.Support;

namespace Provisioner.Core.Tests.Config;

/// <summary>Mistakes a learner makes in a stack file, each reported with its key path and the fix.</summary>
public class StackFileProblemSpecs
{
    private static string Stack(string netlabKeys) =>
        "config:\n" + string.Concat(netlabKeys.Split('\n').Select(l => "  " + l + "\n"));

    private const string Nodes = """
        netlab:nodes:
          - name: cp1
            role: control-plane
        """;

    [Fact]
    public void It_reports_an_unknown_top_level_key_and_lists_the_known_ones()
    {
        Stacks.ProblemAt(Stack(Nodes + "\nnetlab:netwrok: {}"), "netlab:netwrok")
            .Says("is not a known key").Fixes("check its spelling").Fixes("netlab:network");
    }

    [Theory]
    [InlineData("netlab:network: { fabirc: routed }", "network.fabirc", "fabric")]
    [InlineData("netlab:kubernetes: { verison: '1.35' }", "kubernetes.verison", "version")]
    [InlineData("netlab:kubernetes: { containerd: { systemdCgroups: true } }", "kubernetes.containerd.systemdCgroups", "systemdCgroup")]
    public void It_reports_a_misspelled_nested_key_with_its_path_and_the_known_keys(string entry, string key, string known)
    {
        Stacks.ProblemAt(Stack(Nodes + "\n" + entry), key).Says("is not a known key").Fixes(known);
    }

    [Fact]
    public void It_reports_a_misspelled_key_of_a_list_entry_with_its_index()
    {
        const string nodes = """
            netlab:nodes:
              - name: cp1
                role: control-plane
              - name: w1
                cpu: 2
            """;
        Stacks.ProblemAt(Stack(nodes), "nodes[1].cpu").Says("is not a known key").Fixes("cpus");
    }

    [Fact]
    public void It_reports_a_list_where_a_single_value_belongs()
    {
        Stacks.ProblemAt(Stack(Nodes + "\nnetlab:image: [a, b]"), "image")
            .Says("must be a single value, not a list or mapping");
    }

    [Fact]
    public void It_reports_non_numeric_cpus_with_the_command_that_sets_them()
    {
        const string nodes = """
            netlab:nodes:
              - name: cp1
                role: control-plane
                cpus: two
            """;
        Stacks.ProblemAt(Stack(nodes), "nodes[0].cpus").Names("nodes[0].cpus", "two")
            .Says("must be a whole number").Fixes("pulumi config set --path 'nodes[0].cpus' 2");
    }

    [Fact]
    public void It_reports_a_size_it_cannot_read_with_the_units_it_takes()
    {
        const string nodes = """
            netlab:nodes:
              - name: cp1
                role: control-plane
                memory: 4X
            """;
        Stacks.ProblemAt(Stack(nodes), "nodes[0].memory").Names("nodes[0].memory", "4X")
            .Says("is not a size").Fixes("pulumi config set --path 'nodes[0].memory' 4G").Fixes("units K, M, G");
    }

    [Fact]
    public void It_reports_an_unknown_fabric_with_the_choices()
    {
        Stacks.ProblemAt(Stack(Nodes + "\nnetlab:network: { fabric: vxlan }"), "network.fabric").Names("network.fabric", "vxlan")
            .Says("is not one of: ovs-vxlan, linux-vxlan, routed").Fixes("pulumi config set --path 'network.fabric' ovs-vxlan");
    }

    [Theory]
    [InlineData("netlab:backend: vms", "backend", "multipass, netns")]
    [InlineData("netlab:network: { serviceProxy: kubeproxy2 }", "network.serviceProxy", "netlab, kube-proxy")]
    [InlineData("netlab:network: { serviceRules: ebpf }", "network.serviceRules", "iptables, nftables")]
    [InlineData("netlab:network: { ovsDatapath: kernel }", "network.ovsDatapath", "system, netdev")]
    public void It_reports_an_unknown_enum_value_with_the_choices(string entry, string key, string choices)
    {
        Stacks.ProblemAt(Stack(Nodes + "\n" + entry), key).Says("is not one of: " + choices);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("ovs-vxlan,routed")]
    [InlineData("ovs-vxlan, linux-vxlan")]
    public void It_refuses_a_number_or_a_list_of_names_as_an_enum_value(string fabric)
    {
        Stacks.ProblemAt(Stack(Nodes + $"\nnetlab:network: {{ fabric: '{fabric}' }}"), "network.fabric").Says("is not one of");
    }

    [Theory]
    [InlineData("OvsVxlan")]
    [InlineData("OVS-VXLAN")]
    [InlineData("ovs_vxlan")]
    public void It_accepts_an_enum_value_in_any_case_and_as_the_CSharp_name(string fabric)
    {
        var lab = Stacks.Load(Stack(Nodes + $"\nnetlab:network: {{ fabric: {fabric} }}"));
        Assert.Equal(Provisioner.Core.Model.FabricKind.OvsVxlan, lab.Network.Fabric);
    }

    [Fact]
    public void It_reports_a_boolean_it_cannot_read()
    {
        Stacks.ProblemAt(Stack(Nodes + "\nnetlab:kubernetes: { containerd: { systemdCgroup: maybe } }"), "kubernetes.containerd.systemdCgroup")
            .Names("kubernetes.containerd.systemdCgroup", "maybe").Says("must be true or false");
    }

    [Theory]
    [InlineData("netlab:network: [a]", "network", "must be a mapping")]
    [InlineData("netlab:kubernetes: '1.35'", "kubernetes", "must be a mapping")]
    [InlineData("netlab:pods: { name: x }", "pods", "must be a list")]
    public void It_reports_a_section_of_the_wrong_shape(string entry, string key, string message)
    {
        Stacks.ProblemAt(Stack(Nodes + "\n" + entry), key).Says(message).Fixes("config reference");
    }

    [Fact]
    public void It_reports_a_list_entry_that_is_not_a_mapping()
    {
        Stacks.ProblemAt(Stack("netlab:nodes:\n  - name: cp1\n    role: control-plane\n  - worker1"), "nodes[1]")
            .Names("nodes[1]", "worker1").Says("must be a mapping").Fixes("- name:");
    }

    [Fact]
    public void It_reports_a_required_key_that_is_missing()
    {
        Stacks.ProblemAt(Stack(Nodes + "\nnetlab:pods:\n  - name: p1"), "pods[0].node")
            .Says("is required").Fixes("pulumi config set --path 'pods[0].node' worker1");
    }

    [Theory]
    [InlineData("netlab:services:\n  - name: s\n    selector: [app]\n    ports: [{ port: 80 }]", "services[0].selector", "must be a mapping of names to values")]
    [InlineData("netlab:services:\n  - name: s\n    externalIPs: 1.2.3.4\n    ports: [{ port: 80 }]", "services[0].externalIPs", "must be a list of values")]
    [InlineData("netlab:services:\n  - name: s\n    ports: [{ port: http }]", "services[0].ports[0].port", "must be a whole number")]
    [InlineData("netlab:services:\n  - name: s\n    ports: [{ port: 80, protocol: ICMP }]", "services[0].ports[0].protocol", "is not one of: TCP, UDP, SCTP")]
    [InlineData("netlab:services:\n  - name: s\n    type: Ingress\n    ports: [{ port: 80 }]", "services[0].type", "is not one of")]
    public void It_reports_wrong_types_inside_services_with_their_path(string entry, string key, string message)
    {
        Stacks.ProblemAt(Stack(Nodes + "\n" + entry), key).Says(message);
    }

    [Fact]
    public void It_reports_every_reader_and_validation_problem_at_once()
    {
        const string nodes = """
            netlab:nodes:
              - name: cp1
                role: control-plane
                cpus: two
                memory: 4X
              - name: Worker_1
            netlab:network: { fabric: vxlan, podCidr: 10.96.0.0/16 }
            netlab:colour: blue
            """;
        var problems = Stacks.ProblemsOf(Stack(nodes));
        Assert.Equal(
            ["netlab:colour", "network.fabric", "network.serviceCidr", "nodes[0].cpus", "nodes[0].memory", "nodes[1].name"],
            problems.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(6, problems.Count);
    }
}

public class ReadProblemFallbackSpecs
{
    [Fact]
    public void A_value_the_reader_refused_is_reported_once_as_written_not_again_as_its_fallback()
    {
        const string yaml = """
            config:
              netlab:nodes:
                - name: cp1
                  role: control-plane
              netlab:services:
                - name: s
                  ports: [{ port: http }]
            """;
        var problem = Assert.Single(Stacks.ProblemsOf(yaml));
        problem.Names("services[0].ports[0].port", "http").Says("must be a whole number");
    }
}

public class ListEntryProblemSpecs
{
    [Fact]
    public void A_list_entry_that_is_not_a_mapping_does_not_shift_the_paths_of_the_entries_after_it()
    {
        const string yaml = """
            config:
              netlab:nodes:
                - name: cp1
                  role: control-plane
                - worker1
                - name: Worker_2
            """;
        var problems = Stacks.ProblemsOf(yaml);
        Assert.Equal(["nodes[1]", "nodes[2].name"], problems.Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_kubernetes_value_is_suggested_in_the_kubernetes_spelling()
    {
        const string yaml = """
            config:
              netlab:nodes: [{ name: cp1, role: control-plane }]
              netlab:services: [{ name: s, type: Nodeport2, ports: [{ port: 80 }] }]
            """;
        Stacks.ProblemAt(yaml, "services[0].type").Says("is not one of: ClusterIP, NodePort, LoadBalancer, ExternalName")
            .Fixes("pulumi config set --path 'services[0].type' ClusterIP");
    }
}
