using Provisioner.Core.Config;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Core.Tests.Support;
using Provisioner.Core.Validation;

namespace Provisioner.Core.Tests.Planning;

public class LabPlanSpecs
{
    private static readonly string[] Nodes = ["cp1", "worker1", "worker2"];

    public static TheoryData<string> Stacks() => new() { "multipass", "multipass-kube-proxy", "netns", "example" };

    private static LabConfig LabFor(string stack) => stack switch
    {
        "multipass" => Labs.Valid(),
        "multipass-kube-proxy" => Labs.Valid().WithNetwork(n => n with { ServiceProxy = ServiceProxy.KubeProxy }),
        "netns" => Labs.ValidNetns(),
        _ => StackFile.Load(Support.Stacks.ExamplePath),
    };

    private static string[] Ids(LabPlan plan, StepKind kind) => [.. plan.OfKind(kind).Select(s => s.Id)];

    [Fact]
    public void A_multipass_lab_has_a_machine_cni_and_fabric_step_per_node()
    {
        var plan = LabPlan.For(Labs.Valid());

        Assert.Equal(Nodes.Select(n => $"machine-{n}"), Ids(plan, StepKind.Machine));
        Assert.Equal(Nodes.Select(n => $"cni-{n}"), Ids(plan, StepKind.Cni));
        Assert.Equal(Nodes.Select(n => $"fabric-{n}"), Ids(plan, StepKind.Fabric));
        Assert.All(plan.OfKind(StepKind.Cni), s => Assert.Equal([LabPlan.MachineId(s.Node!)], s.DependsOn.AsEnumerable()));
        Assert.All(plan.OfKind(StepKind.Fabric), s => Assert.Equal(Nodes.Select(LabPlan.MachineId), s.DependsOn.AsEnumerable()));
    }

    [Fact]
    public void A_multipass_lab_inits_one_control_plane_and_joins_each_worker_to_it()
    {
        var plan = LabPlan.For(Labs.Valid());

        var init = Assert.Single(plan.OfKind(StepKind.ControlPlane));
        Assert.Equal(("control-plane", "cp1"), (init.Id, init.Node));
        Assert.Contains("machine-cp1", init.DependsOn);
        Assert.Equal(["join-worker1", "join-worker2"], Ids(plan, StepKind.Join));
        Assert.All(plan.OfKind(StepKind.Join), j =>
        {
            Assert.Contains(LabPlan.ControlPlaneId, j.DependsOn);
            Assert.Contains(LabPlan.MachineId(j.Node!), j.DependsOn);
        });
        var kubeconfig = Assert.Single(plan.OfKind(StepKind.Kubeconfig));
        Assert.Equal([LabPlan.ControlPlaneId], kubeconfig.DependsOn.AsEnumerable());
        Assert.Empty(plan.OfKind(StepKind.Underlay));
        Assert.Empty(plan.OfKind(StepKind.Pod));
    }

    [Fact]
    public void Service_rules_are_written_on_every_node_after_it_joined_when_netlab_is_the_service_proxy()
    {
        var plan = LabPlan.For(Labs.Valid());

        Assert.Equal(Nodes.Select(n => $"service-rules-{n}"), Ids(plan, StepKind.ServiceRules));
        Assert.Equal(["fabric-cp1", "control-plane"], plan.Step("service-rules-cp1").DependsOn.AsEnumerable());
        Assert.Equal(["fabric-worker1", "join-worker1"], plan.Step("service-rules-worker1").DependsOn.AsEnumerable());
    }

    [Fact]
    public void There_are_no_service_rule_steps_when_kube_proxy_is_the_service_proxy()
    {
        var plan = LabPlan.For(LabFor("multipass-kube-proxy"));
        Assert.Empty(plan.OfKind(StepKind.ServiceRules));
        Assert.Equal("kube-proxy", plan.Step(LabPlan.ControlPlaneId).Triggers["serviceProxy"]);
    }

    [Fact]
    public void A_netns_lab_has_an_underlay_machines_cni_fabrics_pods_and_service_rules()
    {
        var plan = LabPlan.For(Labs.ValidNetns());

        Assert.Equal([StepKind.Underlay, StepKind.Machine, StepKind.Cni, StepKind.Fabric, StepKind.Pod, StepKind.ServiceRules, StepKind.ClusterDns, StepKind.LoadBalancer, StepKind.NetworkPolicy],
            plan.Steps.Select(s => s.Kind).Distinct());
        Assert.Equal(Nodes.Select(n => $"machine-{n}"), Ids(plan, StepKind.Machine));
        Assert.All(plan.OfKind(StepKind.Machine), m => Assert.Equal([LabPlan.UnderlayId], m.DependsOn.AsEnumerable()));
        Assert.Equal(["pod-web-1", "pod-web-2", "pod-api-1", "pod-kube-dns"], Ids(plan, StepKind.Pod));
        Assert.Equal(("cp1", "kube-system"), (plan.Step("pod-kube-dns").Node, plan.Lab.Pods.Single(p => p.Name == "kube-dns").Namespace));
        var web2 = plan.Step("pod-web-2");
        Assert.Equal(("worker2", "web-2"), (web2.Node, web2.Pod));
        Assert.Equal(["cni-worker2", "fabric-worker2"], web2.DependsOn.AsEnumerable());
        Assert.Equal(Nodes.Select(n => $"service-rules-{n}"), Ids(plan, StepKind.ServiceRules));
        Assert.All(plan.OfKind(StepKind.ServiceRules), r => Assert.Contains("pod-api-1", r.DependsOn));
        Assert.Equal(Nodes.Select(n => $"network-policy-{n}"), Ids(plan, StepKind.NetworkPolicy));
    }

    [Fact]
    public void A_policy_step_is_triggered_again_by_any_change_of_policies_namespaces_or_pod_labels()
    {
        var lab = Labs.ValidNetns();
        var digest = (LabConfig l) => LabPlan.For(l).Step("network-policy-cp1").Triggers["digest"];
        var policy = new NetworkPolicySpec { Name = "deny" };
        Assert.NotEqual(digest(lab), digest(lab with { NetworkPolicies = [policy] }));
        Assert.NotEqual(digest(lab with { NetworkPolicies = [policy] }), digest(lab with { NetworkPolicies = [policy with { PolicyTypes = [PolicyType.Egress] }] }));
        Assert.NotEqual(digest(lab), digest(lab.WithPod(0, p => p with { Labels = Labs.Labels(("app", "other")) })));
        Assert.NotEqual(digest(lab), digest(lab with { Namespaces = [new NamespaceSpec { Name = "x" }] }));
        Assert.Equal(digest(lab), digest(Labs.ValidNetns()));
    }

    [Theory]
    [MemberData(nameof(Stacks))]
    public void Step_ids_are_unique(string stack)
    {
        var ids = LabPlan.For(LabFor(stack)).Steps.Select(s => s.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [MemberData(nameof(Stacks))]
    public void Every_dependency_names_a_step_that_comes_earlier_so_the_graph_is_acyclic(string stack)
    {
        var plan = LabPlan.For(LabFor(stack));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var step in plan.Steps)
        {
            Assert.All(step.DependsOn, d => Assert.True(seen.Contains(d), $"{step.Id} depends on '{d}', which is not an earlier step"));
            seen.Add(step.Id);
        }
    }

    [Theory]
    [MemberData(nameof(Stacks))]
    public void Every_step_says_what_it_does_and_runs_on_a_node_of_the_lab(string stack)
    {
        var plan = LabPlan.For(LabFor(stack));
        var nodes = plan.Lab.Nodes.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        Assert.All(plan.Steps, s =>
        {
            Assert.False(string.IsNullOrWhiteSpace(s.Summary));
            Assert.True(s.Node is null || nodes.Contains(s.Node), $"{s.Id} runs on unknown node {s.Node}");
        });
    }

    [Fact]
    public void It_refuses_to_plan_an_invalid_lab_and_lists_every_problem()
    {
        var lab = Labs.Valid().WithNetwork(n => n with { Vni = 0, PodCidr = "nope" });
        var e = Assert.Throws<LabConfigException>(() => LabPlan.For(lab));
        Assert.Equal(["network.podCidr", "network.vni"], e.Problems.Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Changing_one_node_changes_only_that_nodes_machine_triggers()
    {
        var before = LabPlan.For(Labs.Valid());
        var after = LabPlan.For(Labs.Valid().WithNode(2, w => w with { Memory = ByteSize.FromGiB(4) }));

        var changed = before.Steps.Zip(after.Steps)
            .Where(p => !p.First.Triggers.SequenceEqual(p.Second.Triggers))
            .Select(p => p.First.Id);
        Assert.Equal(["machine-worker2"], changed);
        Assert.Equal("4G", after.Step("machine-worker2").Triggers["memory"]);
    }

    [Fact]
    public void The_cni_and_fabric_triggers_carry_the_node_subnet_the_mtu_and_the_vni()
    {
        var plan = LabPlan.For(Labs.Valid());
        Assert.Equal("10.244.40.0/24", plan.Step("cni-worker1").Triggers["podSubnet"]);
        Assert.Equal("1450", plan.Step("cni-worker1").Triggers["mtu"]);
        Assert.Equal("4242", plan.Step("fabric-worker1").Triggers["vni"]);
        Assert.Equal("ovs-vxlan", plan.Step("fabric-worker1").Triggers["fabric"]);
    }

    [Fact]
    public void A_backend_adds_its_own_trigger_to_a_copy_of_a_step()
    {
        var step = LabPlan.For(Labs.Valid()).Step("machine-cp1");
        var withHash = step.WithTrigger("userData", "sha256:abc");

        Assert.Equal("sha256:abc", withHash.Triggers["userData"]);
        Assert.False(step.Triggers.ContainsKey("userData"));
        Assert.Equal(step.Triggers.Count + 1, withHash.Triggers.Count);
    }

    [Fact]
    public void It_says_which_step_it_does_not_know()
    {
        var e = Assert.Throws<KeyNotFoundException>(() => LabPlan.For(Labs.Valid()).Step("nope"));
        Assert.Contains("nope", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_example_stack_plans_the_steps_its_readme_describes()
    {
        var plan = LabPlan.For(LabFor("example"));

        Assert.Equal(3 * 3 + 1 + 2 + 3 + 1, plan.Steps.Length); // machine, cni, fabric per node; init; 2 joins; rules per node; kubeconfig
        Assert.Contains("VM dev-cp1 (control-plane, 2 CPUs, 4G, disk 20G, Ubuntu 24.04)", plan.Step("machine-cp1").Summary, StringComparison.Ordinal);
    }
}
