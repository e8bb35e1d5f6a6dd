using System.Collections.Immutable;
using k8s;
using k8s.Models;
using Provisioner.Core.Config;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Deploy.Multipass;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Deploy.Tests;

/// <summary>
/// The stack's pods and services as the VM lab's Kubernetes objects. Golden files under Golden/workloads; regenerate
/// with <c>NETLAB_UPDATE_GOLDEN=1 dotnet test tests/Provisioner.Deploy.Tests</c> and review the diff.
/// </summary>
public sealed class WorkloadManifestSpecs
{
    private static string GoldenDir => RepoPaths.Of("tests", "Provisioner.Deploy.Tests", "Golden", "workloads");

    public static TheoryData<string> Stacks => new("dev", "every-kind");

    internal static LabPlan PlanOf(string stack) => LabPlan.For(stack == "dev" ? Labs.Example : StackFile.Load(Path.Combine(GoldenDir, $"{stack}.stack.yaml")));

    [Theory]
    [MemberData(nameof(Stacks))]
    public void The_manifest_of_each_stack_is_its_golden_file(string stack)
    {
        var yaml = WorkloadManifest.Yaml(PlanOf(stack));
        var golden = Path.Combine(GoldenDir, $"{stack}.yaml");
        if (Environment.GetEnvironmentVariable("NETLAB_UPDATE_GOLDEN") == "1")
            File.WriteAllText(golden, yaml);
        Assert.True(File.Exists(golden), $"{golden} is missing; create it with NETLAB_UPDATE_GOLDEN=1");
        Assert.Equal(File.ReadAllText(golden), yaml);
    }

    [Theory]
    [MemberData(nameof(Stacks))]
    public void Every_document_reads_back_as_a_kubernetes_object_with_the_lab_labels(string stack)
    {
        var plan = PlanOf(stack);
        var objects = KubernetesYaml.LoadAllFromString(WorkloadManifest.Yaml(plan), strict: true);

        var pods = objects.OfType<V1Pod>().ToList();
        var services = objects.OfType<V1Service>().ToList();
        Assert.Equal(plan.Lab.Pods.Select(p => p.Name), pods.Select(p => p.Metadata.Name));
        Assert.Equal(plan.Lab.Services.Select(s => s.Name), services.Select(s => s.Metadata.Name));
        Assert.All(pods.Cast<IKubernetesObject<V1ObjectMeta>>().Concat(services), o =>
        {
            Assert.Equal("netlab", o.Metadata.Labels[WorkloadLabels.ManagedBy]);
            Assert.Equal(plan.Lab.Name, o.Metadata.Labels[WorkloadLabels.Lab]);
            Assert.Matches("^[0-9a-f]{12}$", o.Metadata.Labels[WorkloadLabels.Spec]);
        });
        Assert.Equal(plan.Lab.NetworkPolicies.Select(p => p.Name), objects.OfType<V1NetworkPolicy>().Select(p => p.Metadata.Name));
        // a namespace Kubernetes does not create is the lab's (pruned by name, never by a spec hash); a built-in one never is
        Assert.All(objects.OfType<V1Namespace>(), n =>
        {
            Assert.Equal(!NamespaceManifest.IsBuiltIn(n.Metadata.Name), n.Metadata.Labels is { } labels && labels.TryGetValue(WorkloadLabels.Lab, out var lab) && lab == plan.Lab.Name);
            Assert.False(n.Metadata.Labels?.ContainsKey(WorkloadLabels.Spec) ?? false);
        });
    }

    [Fact]
    public void A_policy_for_pods_of_namespace_x_is_in_x_with_those_pods_and_x_is_created_first_with_the_stacks_labels()
    {
        var lab = StackFile.Parse("""
            config:
              netlab:name: ns
              netlab:backend: multipass
              netlab:nodes:
                - { name: cp, role: control-plane }
                - { name: w1, role: worker }
              netlab:pods:
                - { name: web-1, node: w1, namespace: x, labels: { app: web } }
                - { name: web-2, node: cp, labels: { app: web } }
                - { name: client, node: cp, namespace: x, labels: { app: client } }
              netlab:services:
                - { name: web, namespace: x, selector: { app: web }, ports: [ { port: 80, targetPort: 8080 } ] }
              netlab:namespaces:
                - { name: x, labels: { team: a } }
              netlab:networkPolicies:
                - name: web-from-client
                  namespace: x
                  podSelector: { matchLabels: { app: web } }
                  ingress:
                    - from: [ { podSelector: { matchLabels: { app: client } } } ]
            """);
        var objects = KubernetesYaml.LoadAllFromString(WorkloadManifest.Yaml(LabPlan.For(lab)), strict: true);

        var policy = Assert.Single(objects.OfType<V1NetworkPolicy>());
        Assert.Equal("x", policy.Metadata.NamespaceProperty);
        var pods = objects.OfType<V1Pod>().ToDictionary(p => p.Metadata.Name, p => p.Metadata.NamespaceProperty);
        Assert.Equal(("x", "default", "x"), (pods["web-1"], pods["web-2"], pods["client"])); // the policy selects web-1 only, as in the netns lab
        Assert.Equal("x", objects.OfType<V1Service>().Single().Metadata.NamespaceProperty);
        var x = Assert.Single(objects.OfType<V1Namespace>()); // default exists on every cluster and the stack gives it no labels
        Assert.Equal(("x", "a", "netlab", "ns"), (x.Metadata.Name, x.Metadata.Labels["team"], x.Metadata.Labels[WorkloadLabels.ManagedBy], x.Metadata.Labels[WorkloadLabels.Lab]));
        Assert.False(x.Metadata.Labels.ContainsKey(NamespaceSpec.NameLabel)); // the API server sets it
        Assert.IsType<V1Namespace>(objects[0]);
    }

    [Fact]
    public void A_built_in_namespace_gets_only_the_stacks_labels_never_the_labs_and_a_namespace_nothing_uses_is_still_created()
    {
        var lab = Labs.Example with
        {
            Namespaces = [new NamespaceSpec { Name = "kube-system", Labels = ImmutableSortedDictionary<string, string>.Empty.Add("tier", "system").Add(WorkloadLabels.Lab, "dev") },
                new NamespaceSpec { Name = "team-b" }],
        };
        var namespaces = NamespaceManifest.For(lab);

        Assert.Equal(["kube-system", "team-b"], namespaces.Select(n => n.Name));
        Assert.Equal(new Dictionary<string, string> { ["tier"] = "system" }, namespaces[0].Object.Metadata.Labels);
        Assert.False(namespaces[0].Owned);
        Assert.True(namespaces[1].Owned);
        Assert.Equal("namespace kube-system (built-in: labels only), labels tier=system", namespaces[0].Line);
        Assert.Equal("namespace team-b (the lab's), no labels", namespaces[1].Line);
    }

    [Fact]
    public void Each_stack_policy_is_a_NetworkPolicy_object_as_written_and_its_namespace_has_the_stacks_labels()
    {
        var objects = KubernetesYaml.LoadAllFromString(WorkloadManifest.Yaml(PlanOf("every-kind")), strict: true);
        var policy = Assert.Single(objects.OfType<V1NetworkPolicy>());

        Assert.Equal(("default", "echo"), (policy.Metadata.NamespaceProperty, policy.Spec.PodSelector.MatchLabels["app"]));
        Assert.Equal(("tier", "In", "back"), (policy.Spec.PodSelector.MatchExpressions[0].Key, policy.Spec.PodSelector.MatchExpressions[0].OperatorProperty,
            policy.Spec.PodSelector.MatchExpressions[0].Values.Single()));
        Assert.Equal(["Ingress"], policy.Spec.PolicyTypes);
        var rule = Assert.Single(policy.Spec.Ingress);
        Assert.Equal("dmz", rule.FromProperty[0].NamespaceSelector.MatchLabels["zone"]);
        Assert.Equal(("192.168.64.0/24", "192.168.64.1/32"), (rule.FromProperty[1].IpBlock.Cidr, rule.FromProperty[1].IpBlock.Except.Single()));
        Assert.Equal(["9000-9010/TCP", "http-/TCP"], rule.Ports.Select(p => $"{p.Port?.Value}-{p.EndPort}/{p.Protocol}"));
        Assert.Equal("dmz", objects.OfType<V1Namespace>().Single(n => n.Metadata.Name == "outside").Metadata.Labels["zone"]);
    }

    [Fact]
    public void Each_pod_is_bound_to_its_node_and_runs_netexec_on_its_port_with_its_labels()
    {
        var plan = PlanOf("every-kind");
        var pod = KubernetesYaml.LoadAllFromString(WorkloadManifest.Yaml(plan)).OfType<V1Pod>().Single(p => p.Metadata.Name == "echo-1");

        Assert.Equal("kinds-w1", pod.Spec.NodeName); // the VM's hostname, which kubeadm registers as the node name
        Assert.Equal("default", pod.Metadata.NamespaceProperty);
        Assert.Equal("echo", pod.Metadata.Labels["app"]);
        Assert.Equal("back", pod.Metadata.Labels["tier"]);
        var container = Assert.Single(pod.Spec.Containers);
        Assert.Equal(WorkloadManifest.AgnhostImage, container.Image);
        Assert.Equal(["netexec", "--http-port=9000", "--udp-port=-1"], container.Args);
        Assert.Equal(9000, Assert.Single(container.Ports).ContainerPort);
        Assert.Equal("/hostname", container.ReadinessProbe.HttpGet.Path);
    }

    [Fact]
    public void Each_service_has_the_plans_addresses_ports_affinity_and_policies()
    {
        var plan = PlanOf("every-kind");
        var services = KubernetesYaml.LoadAllFromString(WorkloadManifest.Yaml(plan)).OfType<V1Service>().ToDictionary(s => s.Metadata.Name);

        var echo = services["echo"].Spec;
        Assert.Equal("10.96.0.100", echo.ClusterIP);
        Assert.Equal("ClusterIP", echo.Type);
        Assert.Equal("ClientIP", echo.SessionAffinity);
        Assert.Equal(60, echo.SessionAffinityConfig.ClientIP.TimeoutSeconds);
        Assert.Equal("Local", echo.InternalTrafficPolicy);
        Assert.Null(echo.ExternalTrafficPolicy); // the API refuses it on a service nothing outside reaches
        Assert.Equal(["TCP", "UDP"], echo.Ports.Select(p => p.Protocol));
        Assert.Equal("9000", echo.Ports[1].TargetPort.Value);

        var lb = services["echo-lb"].Spec;
        var planned = plan.Addresses.Services.Single(s => s.Spec.Name == "echo-lb");
        Assert.Equal(planned.ClusterIP!.ToString(), lb.ClusterIP);
        Assert.Equal(planned.Ports[0].NodePort, lb.Ports[0].NodePort);
        Assert.InRange(lb.Ports[0].NodePort!.Value, 30000, 32767);
        Assert.Equal("Local", lb.ExternalTrafficPolicy);
        Assert.Equal("192.168.64.242", lb.LoadBalancerIP);
        Assert.Equal(["192.168.64.201"], lb.ExternalIPs);

        Assert.Equal("None", services["echo-headless"].Spec.ClusterIP);
        var external = services["upstream"];
        Assert.Equal("outside", external.Metadata.NamespaceProperty);
        Assert.Equal("example.com", external.Spec.ExternalName);
        Assert.Null(external.Spec.ClusterIP);
        Assert.Null(external.Spec.Selector);
    }

    [Fact]
    public void The_example_stacks_services_match_what_the_netns_lab_builds()
    {
        var plan = PlanOf("dev");
        var services = KubernetesYaml.LoadAllFromString(WorkloadManifest.Yaml(plan)).OfType<V1Service>().ToDictionary(s => s.Metadata.Name);

        Assert.Equal(30080, services["api"].Spec.Ports[0].NodePort);
        Assert.Equal("ClientIP", services["api"].Spec.SessionAffinity);
        Assert.Equal(10800, services["api"].Spec.SessionAffinityConfig.ClientIP.TimeoutSeconds);
        Assert.Equal("Local", services["web-local"].Spec.ExternalTrafficPolicy);
        Assert.All(plan.Addresses.Services, s => Assert.Equal(s.ClusterIP?.ToString(), services[s.Spec.Name].Spec.ClusterIP));
    }
}
