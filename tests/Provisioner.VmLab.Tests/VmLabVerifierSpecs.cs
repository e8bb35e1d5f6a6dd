using System.Net;
using System.Runtime.Versioning;
using Provisioner.Core.Verification;
using Provisioner.VmLab.Tests.Support;
using Provisioner.VmLab.Verify;
using Xunit;

namespace Provisioner.VmLab.Tests;

/// <summary>
/// <c>netlab verify</c> on the VM lab against recorded answers of <c>multipass</c> and <c>kubectl</c> (replayed by
/// stand-in scripts): no Multipass or cluster runs here, so these prove the probes, their parsing and the layering.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class VmLabVerifierSpecs : IDisposable
{
    private readonly RecordedLab _lab = new();

    private Task<IReadOnlyList<VerifyCheck>> VerifyAsync() => new VmLabVerifier(_lab.Target, _lab.Probes).RunAsync();

    [Fact]
    public async Task A_healthy_lab_passes_every_layer_the_netns_lab_checks_and_egress_and_dns()
    {
        var checks = await VerifyAsync();

        Assert.True(checks.All(c => c.Passed), string.Join("\n", checks.Where(c => !c.Passed).Select(c => $"{c.Layer} {c.Name}: {c.Detail}")));
        Assert.Equal([Layer.Underlay, Layer.PodNetwork, Layer.NodeBridge, Layer.Fabric, Layer.ServiceRules, Layer.NodePort, Layer.Egress, Layer.Dns],
            checks.Select(c => c.Layer).Distinct());
        Assert.Equal(2, checks.Count(c => c.Layer == Layer.Underlay));
        Assert.Equal(6, checks.Count(c => c.Layer == Layer.PodNetwork));
        Assert.Equal(3, checks.Count(c => c.Layer == Layer.NodeBridge));
        Assert.Equal(6, checks.Count(c => c.Layer == Layer.Fabric));
        Assert.Equal(4, checks.Count(c => c.Layer == Layer.ServiceRules));
        Assert.Equal(9, checks.Count(c => c.Layer == Layer.NodePort));
        Assert.Contains(checks, c => c.Name == "pod web-1 -> service api 10.96.85.8:8080" && c.Detail == "answered by api-1");
        Assert.Contains(checks, c => c.Name == "pod web-1: kubernetes.default -> 10.96.0.1 (cluster DNS 10.96.0.10)" && c.Passed);
        Assert.DoesNotContain(_lab.Tools.Calls, c => c.Contains("no recorded reply", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_lost_route_between_nodes_is_reported_at_the_fabric_with_the_flows_to_look_at()
    {
        _lab.PodHttp("web-1", IPAddress.Parse("10.244.2.2"), 8080, "", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "curl-timeout.stderr")), 28);

        var checks = await VerifyAsync();
        var broken = VerifyCheck.FirstBroken(checks)!;

        Assert.Equal(Layer.Fabric, broken.Layer);
        Assert.Equal("pod web-1 -> pod web-2 (worker1 -> worker2)", broken.Name);
        Assert.Equal("no answer within the time limit (packets dropped or black-holed)", broken.Detail);
        Assert.StartsWith("multipass exec dev-worker1 -- sudo ovs-ofctl dump-flows netlab0", broken.LookFurther, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unanswered_underlay_ping_is_the_lowest_broken_layer_even_when_pods_fail_too()
    {
        _lab.VmPing("dev-cp1", _lab.NodeAddress("worker2"), "ping-iputils-lost.txt", exitCode: 1);
        _lab.PodPing("web-2", IPAddress.Parse("10.244.2.1"), "ping-busybox-lost.txt", exitCode: 1);

        var broken = VerifyCheck.FirstBroken(await VerifyAsync())!;

        Assert.Equal(Layer.Underlay, broken.Layer);
        Assert.Equal("node cp1 -> node worker2 (192.168.64.7)", broken.Name);
        Assert.Equal("no ping answer (1 sent, 0 received) on the underlay", broken.Detail);
        Assert.Equal("multipass info dev-worker2; multipass exec dev-worker2 -- ip -4 addr", broken.LookFurther);
    }

    [Fact]
    public async Task A_pod_found_in_another_namespace_than_its_stack_one_is_not_the_stacks_pod()
    {
        const string web2 = "\"name\": \"web-2\",\n                \"namespace\": \"default\"";
        var pods = Fixtures.Read("kubectl-get-pods.json").ReplaceLineEndings("\n");
        Assert.Contains(web2, pods, StringComparison.Ordinal);
        _lab.PodsJson(pods.Replace(web2, web2.Replace("\"default\"", "\"team-a\"", StringComparison.Ordinal), StringComparison.Ordinal));

        var broken = VerifyCheck.FirstBroken(await VerifyAsync())!;

        Assert.Equal((Layer.PodNetwork, "pod web-2 (no address) -> gateway 10.244.2.1"), (broken.Layer, broken.Name));
        Assert.Equal("the pod is not on the cluster (did the workloads step run?)", broken.Detail);
        Assert.Equal($"kubectl --kubeconfig {_lab.Target.Kubeconfig} get pods --all-namespaces --output wide", broken.LookFurther);
    }

    [Fact]
    public async Task A_pod_stuck_pulling_its_image_is_a_pod_network_failure_that_points_at_kubectl_describe()
    {
        _lab.Pods("kubectl-get-pods-web-2-pending.json");

        var checks = await VerifyAsync();
        var broken = VerifyCheck.FirstBroken(checks)!;

        Assert.Equal(Layer.PodNetwork, broken.Layer);
        Assert.Equal("the pod is Pending (ImagePullBackOff)", broken.Detail);
        Assert.Equal($"kubectl --kubeconfig {_lab.Target.Kubeconfig} describe pod --namespace default web-2", broken.LookFurther);
        Assert.Contains(checks, c => c.Name == "pod web-1 -> pod web-2 (worker1 -> worker2)" && !c.Passed && c.Detail == "pod web-2 is not running and ready");
    }

    [Fact]
    public async Task A_service_answered_by_a_pod_it_does_not_select_fails_at_the_service_rules()
    {
        _lab.PodHttp("web-1", _lab.ClusterIp("api"), 8080, "web-3");

        var broken = VerifyCheck.FirstBroken(await VerifyAsync())!;

        Assert.Equal(Layer.ServiceRules, broken.Layer);
        Assert.Equal("answered by 'web-3', not an endpoint", broken.Detail);
        Assert.Equal("netlab explain api; multipass exec dev-worker1 -- sudo iptables-save -t nat | grep NETLAB", broken.LookFurther);
    }

    [Fact]
    public async Task A_node_port_that_refuses_this_machine_fails_at_the_node_port_layer()
    {
        _lab.Host.Answer(_lab.NodeAddress("worker2"), 30080, null);

        var broken = VerifyCheck.FirstBroken(await VerifyAsync())!;

        Assert.Equal(Layer.NodePort, broken.Layer);
        Assert.Equal("this machine -> worker2 192.168.64.7:30080 (service api)", broken.Name);
        Assert.Equal("multipass exec dev-worker2 -- sudo iptables-save -t nat | grep NETLAB", broken.LookFurther);
    }

    [Fact]
    public async Task A_pod_that_cannot_reach_outside_the_cluster_fails_at_egress_and_points_at_masquerade()
    {
        _lab.PodPing("web-1", IPAddress.Parse("192.168.64.1"), "ping-busybox-lost.txt", exitCode: 1);

        var broken = VerifyCheck.FirstBroken(await VerifyAsync())!;

        Assert.Equal(Layer.Egress, broken.Layer);
        Assert.Equal("pod web-1 -> 192.168.64.1 outside the cluster (dev-worker1's default gateway)", broken.Name);
        Assert.Contains("masquerade", broken.LookFurther, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_service_name_coredns_does_not_know_fails_at_dns_with_the_coredns_logs_to_read()
    {
        _lab.PodLookup("web-1", "web.default", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "nslookup-bind-nxdomain.txt")), 1);

        var broken = VerifyCheck.FirstBroken(await VerifyAsync())!;

        Assert.Equal(Layer.Dns, broken.Layer);
        Assert.Equal("NXDOMAIN: no such name", broken.Detail);
        Assert.Contains("logs --selector k8s-app=kube-dns", broken.LookFurther, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stopped_vm_is_named_at_the_underlay()
    {
        _lab.Tools.On("multipass", Multipass.MultipassDriver.InfoArguments("dev-worker1"),
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "multipass-info-dev-worker1.json")).Replace("\"Running\"", "\"Stopped\"", StringComparison.Ordinal));

        var broken = VerifyCheck.FirstBroken(await VerifyAsync())!;

        Assert.Equal(Layer.Underlay, broken.Layer);
        Assert.Equal("VM dev-worker1 is Stopped", broken.Detail);
    }

    public void Dispose() => _lab.Dispose();
}
