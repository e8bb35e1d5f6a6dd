using System.Net;
using k8s;
using k8s.Models;
using Provisioner.Proxy.Config;
using Provisioner.Proxy.LoadBalancing;
using Provisioner.Proxy.Tracking;
using static Provisioner.Proxy.Tests.Fakes.Api;

namespace Provisioner.Proxy.Tests;

/// <summary>The LoadBalancer controller's decisions from API state: the EXTERNAL-IPs the allocator writes, the node that announces each.</summary>
public sealed class LoadBalancingSpecs
{
    private const string PoolText = "192.168.77.240/28";
    private static readonly IPNetwork2 Pool = IPNetwork2.Parse(PoolText);
    private static readonly IPNetwork2 NodeNetwork = IPNetwork2.Parse("192.168.77.0/24");
    private static readonly (string, int, string)[] Http = [("http", 8080, "TCP")];
    private static int _version;

    private static T Versioned<T>(T item) where T : IKubernetesObject<V1ObjectMeta>
    {
        item.Metadata.ResourceVersion = Interlocked.Increment(ref _version).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return item;
    }

    private static ChangeTracker Tracker(IEnumerable<V1Service> services, IEnumerable<V1EndpointSlice>? slices = null, params V1Node[] nodes)
    {
        var tracker = new ChangeTracker("node-a", ProxyConfigFile.Parse(
            $"clusterCIDR: 10.244.0.0/16\nserviceCIDR: 10.96.0.0/16\nloadBalancerCIDR: {PoolText}\nloadBalancerAllocator: true\n"));
        tracker.ReplaceNodes(nodes.Length > 0 ? [.. nodes.Select(Versioned)]
            : [Versioned(Node("node-a", "192.168.77.1").Ready("True")), Versioned(Node("node-b", "192.168.77.2").Ready("True"))]);
        tracker.ReplaceServices([.. services.Select(Versioned)]);
        tracker.ReplaceSlices([.. (slices ?? []).Select(Versioned)]);
        return tracker;
    }

    private static V1Service Lb(string name, string? loadBalancerIP = null, string policy = "Cluster") =>
        Service(name, "10.96.0.50", Port("http", 80, 8080, nodePort: 30080)).LoadBalancer(policy, loadBalancerIP);

    [Fact]
    public void Each_LoadBalancer_gets_one_distinct_pool_address_and_a_loadBalancerIP_is_honoured()
    {
        var view = Tracker([Lb("a"), Lb("b"), Lb("c", loadBalancerIP: "192.168.77.250")]).LoadBalancing();

        var changes = IngressAllocation.Plan(view, Pool).ToDictionary(c => c.Name, c => c.Desired.Single());

        Assert.Equal(3, changes.Values.Distinct().Count());
        Assert.All(changes.Values, ip => Assert.True(Pool.Contains(IPAddress.Parse(ip))));
        Assert.Equal("192.168.77.250", changes["c"]);
        Assert.Equal("""{"status":{"loadBalancer":{"ingress":[{"ip":"192.168.77.250"}]}}}""",
            IngressAllocation.Plan(view, Pool).Single(c => c.Name == "c").MergePatch());
    }

    [Fact]
    public void An_address_already_written_is_kept_and_written_again_by_nobody()
    {
        var view = Tracker([Lb("a").WithIngress("192.168.77.245"), Lb("b").WithIngress("192.168.77.246")]).LoadBalancing();

        Assert.Empty(IngressAllocation.Plan(view, Pool));
    }

    [Fact]
    public void Another_loadBalancerClass_is_left_alone_and_a_service_no_longer_LoadBalancer_gives_its_address_back()
    {
        var other = Lb("other");
        other.Spec.LoadBalancerClass = "example.com/cloud";
        var demoted = Service("was-lb", "10.96.0.51", Port("http", 80, 8080)).WithIngress("192.168.77.245");

        var changes = IngressAllocation.Plan(Tracker([other, demoted]).LoadBalancing(), Pool);

        Assert.Equal(["lab/was-lb: EXTERNAL-IP 192.168.77.245 released"], changes.Select(c => c.ToString()));
        Assert.Equal("""{"status":{"loadBalancer":{}}}""", changes[0].MergePatch());
    }

    [Fact]
    public void Exactly_one_live_node_announces_each_address_and_with_Local_only_an_endpoints_node()
    {
        var services = new[]
        {
            Lb("cluster").WithIngress("192.168.77.241"),
            Lb("local", policy: "Local").WithIngress("192.168.77.242"),
            Service("ext", "10.96.0.52", Port("http", 80, 8080)).WithExternalIPs("192.168.77.60", "203.0.113.9"),
        };
        var slices = new[] { Slice("local-1", "local", Http, Endpoint("10.244.2.2", "node-b")) };

        var plan = AnnouncementChoice.Plan(Tracker(services, slices).LoadBalancing(), Pool, NodeNetwork);

        Assert.Equal(["192.168.77.241", "192.168.77.242", "192.168.77.60"], plan.Select(a => a.Request.Address.ToString()).Order());
        Assert.All(plan, a => Assert.Contains(a.Node, new[] { "node-a", "node-b" }));
        Assert.Equal("node-b", plan.Single(a => a.Request.Service == "lab/local").Node);
    }

    [Theory]
    [InlineData("False")]
    [InlineData("Unknown")]
    [InlineData("gone")]
    public void A_node_that_is_not_ready_or_gone_announces_nothing_and_the_other_takes_its_addresses(string state)
    {
        var services = Enumerable.Range(1, 8).Select(i => Lb($"s{i}").WithIngress($"192.168.77.{240 + i}")).ToArray();
        var before = AnnouncementChoice.Plan(Tracker(services).LoadBalancing(), Pool, NodeNetwork);
        Assert.Contains(before, a => a.Node == "node-a"); // hash order spreads eight addresses over both nodes
        Assert.Contains(before, a => a.Node == "node-b");

        V1Node[] nodes = state == "gone"
            ? [Node("node-b", "192.168.77.2").Ready("True")]
            : [Node("node-a", "192.168.77.1").Ready(state), Node("node-b", "192.168.77.2").Ready("True")];
        var after = AnnouncementChoice.Plan(Tracker(services, null, nodes).LoadBalancing(), Pool, NodeNetwork);

        Assert.All(after, a => Assert.Equal("node-b", a.Node));
    }

    [Fact]
    public void Local_with_no_live_endpoint_node_is_announced_by_nobody()
    {
        var services = new[] { Lb("local", policy: "Local").WithIngress("192.168.77.242") };
        var slices = new[] { Slice("local-1", "local", Http, Endpoint("10.244.2.2", "node-b")) };
        var nodes = new[] { Node("node-a", "192.168.77.1").Ready("True"), Node("node-b", "192.168.77.2").Ready("False") };

        var plan = AnnouncementChoice.Plan(Tracker(services, slices, nodes).LoadBalancing(), Pool, NodeNetwork);

        Assert.Null(plan.Single().Node);
        Assert.Contains("externalTrafficPolicy Local", plan.Single().Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_pool_and_the_allocator_flag_are_read_from_the_config_and_an_allocator_without_a_pool_is_an_error()
    {
        var config = ProxyConfigFile.Parse($"clusterCIDR: 10.244.0.0/16\nserviceCIDR: 10.96.0.0/16\nloadBalancerCIDR: {PoolText}\nloadBalancerAllocator: true\n");
        Assert.Equal((PoolText, true), (config.LoadBalancerCidr, config.LoadBalancerAllocator));
        Assert.Contains($"loadBalancerCIDR: {PoolText}\nloadBalancerAllocator: true\n", config.ToYaml(), StringComparison.Ordinal);

        var error = Assert.Throws<InvalidDataException>(() => ProxyConfigFile.Parse("clusterCIDR: 10.244.0.0/16\nserviceCIDR: 10.96.0.0/16\nloadBalancerAllocator: true\n"));
        Assert.Contains("loadBalancerAllocator: true needs a pool to allocate from; write e.g. loadBalancerCIDR:", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<InvalidDataException>(() => ProxyConfigFile.Parse("clusterCIDR: 10.244.0.0/16\nserviceCIDR: 10.96.0.0/16\nloadBalancerCIDR: 192.168.77.5/28\n"));
        Assert.Contains("loadBalancerCIDR: '192.168.77.5/28' is not an IPv4 CIDR", error.Message, StringComparison.Ordinal);
    }
}
