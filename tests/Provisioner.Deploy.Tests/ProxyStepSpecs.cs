using Provisioner.Core.Planning;
using Provisioner.Deploy.Multipass;
using Provisioner.Proxy.Config;
using Xunit;

namespace Provisioner.Deploy.Tests;

/// <summary>netlab-proxy on the VM lab: its steps' shape, its rendered unit and config, and no secret in any step text.</summary>
public sealed class ProxyStepSpecs
{
    private readonly DeploymentPlan _deployment = Labs.Multipass();

    [Fact]
    public void Every_node_runs_netlab_proxy_as_the_only_writer_of_its_service_rules_once_it_has_joined()
    {
        foreach (var node in new[] { "cp1", "worker1", "worker2" })
        {
            var step = _deployment.Step(LabPlan.ServiceRulesId(node));
            Assert.DoesNotContain("node services apply", step.Create, StringComparison.Ordinal);
            Assert.Contains("systemctl restart netlab-proxy", step.Create, StringComparison.Ordinal);
            Assert.Contains(ProxySteps.AccessId, step.DependsOn);
            Assert.Contains(node == "cp1" ? LabPlan.ControlPlaneId : LabPlan.JoinId(node), step.DependsOn);
            Assert.Equal(ChangeMode.UpdateInPlace, step.OnChange);
            Assert.Contains("netlab-proxy", step.Delete, StringComparison.Ordinal);
        }
        var access = _deployment.Step(ProxySteps.AccessId);
        Assert.False(access.SecretStdout); // the kubeconfig never leaves the VMs as a step's output
        Assert.Equal([LabPlan.ControlPlaneId], access.DependsOn.ToArray());
    }

    [Fact]
    public void The_kubeconfig_reaches_the_node_only_on_stdin_and_no_step_text_holds_a_token()
    {
        var step = _deployment.Step(LabPlan.ServiceRulesId("worker1"));
        // Only the one command that installs the kubeconfig reads stdin; every other command reads /dev/null.
        var readers = step.Create.Split(" && ").Where(c => !c.TrimEnd().EndsWith("</dev/null", StringComparison.Ordinal)).ToList();
        Assert.Equal(["multipass exec dev-cp1 -- sudo /opt/netlab/bin/print-proxy-kubeconfig.sh </dev/null | "
                + "multipass exec dev-worker1 -- sudo install -D -m 0600 /dev/stdin /etc/netlab/proxy/kubeconfig"],
            readers.Select(r => r.Trim()));
        foreach (var s in _deployment.Steps)
        {
            var text = string.Join("\n", [s.Create, s.Update ?? "", s.Delete ?? "", .. s.Triggers.Values, .. s.LocalFiles.Select(f => f.Content)]);
            Assert.DoesNotContain("token: ey", text, StringComparison.Ordinal); // a JWT in the clear
            Assert.DoesNotContain("BEGIN", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_preview_shows_the_proxy_config_line_that_changes()
    {
        var lab = Labs.Example with { Network = Labs.Example.Network with { NodePortMax = 31000 } };
        var before = _deployment.Step(LabPlan.ServiceRulesId("worker1")).TriggerVariables;
        var after = Labs.Multipass(lab: lab).Step(LabPlan.ServiceRulesId("worker1")).TriggerVariables;

        var changed = before.Where(t => after[t.Key] != t.Value).Select(t => $"{t.Key}: {t.Value} -> {after[t.Key]}");

        Assert.Equal(["NETLAB_TRIGGER_PROXY_NODEPORTRANGE: 30000-32767 -> 30000-31000"], changed);
    }

    [Fact]
    public void The_rendered_unit_runs_the_netlab_binary_with_kube_proxy_flags_and_the_config_is_what_the_proxy_reads()
    {
        var (unit, config) = ProxySteps.Render(_deployment.Plan, "worker1");

        Assert.Contains("ExecStart=/opt/netlab/bin/netlab proxy --kubeconfig /etc/netlab/proxy/kubeconfig --config /etc/netlab/proxy/config.yaml " +
            "--hostname-override dev-worker1 --proxy-mode iptables --healthz-bind-address 0.0.0.0:10256 --metrics-bind-address 127.0.0.1:10249", unit);
        Assert.Contains("Restart=always", unit);
        var parsed = ProxyConfigFile.Parse(config);
        Assert.Equal((_deployment.Plan.Addresses.PodCidr.ToString(), _deployment.Plan.Addresses.ServiceCidr.ToString(), 30000, 32767),
            (parsed.ClusterCidr, parsed.ServiceCidr, parsed.NodePortMin, parsed.NodePortMax));
        Assert.Equal(_deployment.Plan.Addresses.Node("worker1").PodSubnet.ToString(), parsed.PodCidr); // the policy rules' node subnet
    }

    [Fact]
    public void The_RBAC_allows_exactly_list_and_watch_of_the_six_kinds_the_proxy_reads_and_patching_service_status()
    {
        var rbac = _deployment.Step(ProxySteps.AccessId).LocalFiles.Single(f => f.Path.EndsWith("proxy-rbac.yaml", StringComparison.Ordinal)).Content;
        var rules = rbac.Split('\n').Where(l => l.Contains("resources:", StringComparison.Ordinal) || l.Contains("verbs:", StringComparison.Ordinal))
            .Select(l => l.Trim().TrimStart('-').Trim());

        Assert.Equal(["resources: [\"services\", \"nodes\", \"pods\", \"namespaces\"]", "verbs: [\"list\", \"watch\"]",
            "resources: [\"services/status\"]", "verbs: [\"patch\"]",
            "resources: [\"endpointslices\"]", "verbs: [\"list\", \"watch\"]",
            "resources: [\"networkpolicies\"]", "verbs: [\"list\", \"watch\"]"], rules);
        Assert.Contains("kubernetes.io/service-account.name: netlab-proxy", rbac, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_node_gets_the_load_balancer_pool_and_only_the_control_plane_allocates()
    {
        var pool = _deployment.Plan.Addresses.LoadBalancerPool!.ToString();
        foreach (var node in new[] { "cp1", "worker1", "worker2" })
        {
            var config = ProxyConfigFile.Parse(ProxySteps.Render(_deployment.Plan, node).Config);
            Assert.Equal((pool, node == "cp1"), (config.LoadBalancerCidr, config.LoadBalancerAllocator));
            var triggers = _deployment.Step(LabPlan.ServiceRulesId(node)).TriggerVariables;
            Assert.Equal(pool, triggers["NETLAB_TRIGGER_PROXY_LOADBALANCERCIDR"]);
            Assert.Equal(node == "cp1", triggers.ContainsKey("NETLAB_TRIGGER_PROXY_LOADBALANCERALLOCATOR"));
        }
    }

    [Fact]
    public void A_preview_shows_the_load_balancer_pool_line_changing_on_every_node()
    {
        var lab = Labs.Example with { Network = Labs.Example.Network with { LoadBalancerCidr = "192.168.64.224/28" } };
        var after = Labs.Multipass(lab: lab);
        foreach (var node in new[] { "cp1", "worker1" })
        {
            var before = _deployment.Step(LabPlan.ServiceRulesId(node)).TriggerVariables;
            var now = after.Step(LabPlan.ServiceRulesId(node)).TriggerVariables;
            var changed = before.Where(t => now[t.Key] != t.Value).Select(t => $"{t.Key}: {t.Value} -> {now[t.Key]}");
            Assert.Equal([$"NETLAB_TRIGGER_PROXY_LOADBALANCERCIDR: {_deployment.Plan.Addresses.LoadBalancerPool} -> 192.168.64.224/28"], changed);
        }
    }
}
