using Provisioner.VmLab.Cluster;
using Provisioner.VmLab.Tests.Support;
using Xunit;

namespace Provisioner.VmLab.Tests;

public sealed class ClusterStateSpecs
{
    [Fact]
    public void I_can_read_each_pods_node_address_and_readiness_from_kubectl_get_pods()
    {
        var pods = ClusterState.Pods(Fixtures.Read("kubectl-get-pods.json")).ToDictionary(p => p.Name);

        Assert.Equal(6, pods.Count);
        Assert.Equal("dev-worker1", pods["web-1"].Node);
        Assert.Equal("10.244.1.2", pods["web-1"].Address);
        Assert.True(pods["web-1"].Ready);
        Assert.Equal("web", pods["web-1"].Labels["app"]);
        Assert.Equal("Running, ready", pods["web-1"].Describe());
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Verify_looks_for_the_kubeconfig_where_the_deployment_writes_it()
    {
        using var lab = new RecordedLab("/work/lab");

        Assert.Equal(lab.Target.Kubeconfig, VmLabTarget.KubeconfigOf(new Deploy.DeployOptions { StackName = "dev", SourceVersion = "x" }, "/work/lab"));
    }

    [Fact]
    public void A_pod_waiting_for_its_image_says_so()
    {
        var web2 = ClusterState.Pods(Fixtures.Read("kubectl-get-pods-web-2-pending.json")).Single(p => p.Name == "web-2");

        Assert.False(web2.Ready);
        Assert.Equal("Pending (ImagePullBackOff)", web2.Describe());
    }

    [Fact]
    public void I_can_read_nodes_services_and_endpoint_slices()
    {
        var nodes = ClusterState.Nodes(Fixtures.Read("kubectl-get-nodes.json"));
        Assert.Equal(["dev-cp1", "dev-worker1", "dev-worker2"], nodes.Select(n => n.Name));
        Assert.All(nodes, n => Assert.True(n.Ready));
        Assert.Equal("192.168.64.6", nodes[1].InternalIP);
        Assert.Equal("10.244.1.0/24", nodes[1].PodCidr);

        var api = ClusterState.Services(Fixtures.Read("kubectl-get-services.json")).Single(s => s.Name == "api");
        Assert.Equal(("NodePort", "10.96.85.8"), (api.Type, api.ClusterIP));
        Assert.Equal(["8080:30080/TCP"], api.Ports.ToArray());

        var endpoints = ClusterState.Endpoints(Fixtures.Read("kubectl-get-endpointslices.json"));
        Assert.Equal(["web-1", "web-2", "web-3"], endpoints.Where(e => e.Service == "web").Select(e => e.Pod));
        Assert.Equal("192.168.64.5", Assert.Single(endpoints, e => e.Service == "kubernetes").Address);
    }
}
