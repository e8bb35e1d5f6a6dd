using Provisioner.Proxy.Config;
using Provisioner.Proxy.Rules;
using Provisioner.ServiceRules.Model;

namespace Provisioner.Proxy.Tests;

public sealed class ConntrackAndConfigSpecs
{
    private static readonly NodeContext Node = new("node-a", ["192.168.77.1"], "10.244.0.0/16", "10.96.0.0/16");

    private static Service Dns(params string[] endpoints) => new()
    {
        Namespace = "kube-system", Name = "kube-dns", ClusterIP = "10.96.0.10", Type = ServiceType.NodePort,
        Ports = [new ServicePort("dns", 53, 53, ServiceProtocol.UDP, NodePort: 30053), new ServicePort("dns-tcp", 53, 53, ServiceProtocol.TCP, NodePort: 30054)],
        Endpoints = [.. endpoints.Select(e => new Endpoint(e, "node-a"))],
    };

    [Fact]
    public void A_removed_UDP_endpoint_gets_its_flows_deleted_for_the_cluster_IP_and_the_node_port_and_TCP_gets_none()
    {
        var deletions = ConntrackCleaner.Deletions(new([Dns("10.244.1.2", "10.244.1.3")]), new([Dns("10.244.1.3")]), Node)
            .Select(d => string.Join(' ', d)).ToList();

        Assert.Equal([
            "-D -p udp --orig-dst 10.96.0.10 --dst-nat 10.244.1.2",
            "-D -p udp --orig-port-dst 30053 --dst-nat 10.244.1.2",
        ], deletions);
    }

    [Fact]
    public void A_UDP_service_that_gets_its_first_endpoint_loses_the_flows_its_REJECT_left()
    {
        var deletions = ConntrackCleaner.Deletions(new([Dns()]), new([Dns("10.244.1.2")]), Node).Select(d => string.Join(' ', d)).ToList();

        Assert.Equal(["-D -p udp --orig-dst 10.96.0.10 --orig-port-dst 53", "-D -p udp --orig-port-dst 30053"], deletions);
        Assert.Empty(ConntrackCleaner.Deletions(null, new([Dns("10.244.1.2")]), Node)); // the first sync has nothing to compare with
    }

    [Fact]
    public void A_terminating_local_endpoint_that_only_the_Local_fallback_reached_gets_its_flows_deleted_when_it_goes()
    {
        // internalTrafficPolicy Local: node-a has no ready endpoint of its own, so its rules fall back to its terminating
        // one, which the cluster-wide choice (node-b's ready endpoint) leaves out
        static Service LocalDns(params Endpoint[] endpoints) => Dns() with { InternalTrafficPolicy = TrafficPolicy.Local, Endpoints = endpoints };
        var ready = new Endpoint("10.244.2.5", "node-b");
        var terminating = new Endpoint("10.244.1.9", "node-a", Ready: false, Terminating: true);

        var deletions = ConntrackCleaner.Deletions(new([LocalDns(ready, terminating)]), new([LocalDns(ready)]), Node)
            .Select(d => string.Join(' ', d)).ToList();

        Assert.Contains("-D -p udp --orig-dst 10.96.0.10 --dst-nat 10.244.1.9", deletions);
    }

    [Fact]
    public void The_config_file_reads_kube_proxy_spellings_and_lists_every_problem_with_its_fix()
    {
        var config = ProxyConfigFile.Parse("clusterCIDR: 10.244.0.0/16\nserviceCIDR: 10.96.0.0/12\nnodePortRange: 30000-30100\nmasqueradeAll: true\nminSyncPeriod: 250ms\n");
        Assert.Equal((30000, 30100, true, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(30)),
            (config.NodePortMin, config.NodePortMax, config.MasqueradeAll, config.MinSyncPeriod, config.SyncPeriod));
        Assert.Equal(config, ProxyConfigFile.Parse(config.ToYaml()) with { NodeIPs = config.NodeIPs });

        var error = Assert.Throws<InvalidDataException>(() => ProxyConfigFile.Parse("serviceCIDR: 10.96.0.1/12\nnodePortRange: 3-2\nsyncPeriod: soon\n"));
        Assert.Contains("clusterCIDR is missing; write e.g. clusterCIDR: 10.244.0.0/16", error.Message);
        Assert.Contains("serviceCIDR: '10.96.0.1/12' is not an IPv4 CIDR", error.Message);
        Assert.Contains("nodePortRange: '3-2' is not a port range like 30000-32767", error.Message);
        Assert.Contains("syncPeriod: 'soon' is not a duration like 30s", error.Message);
        Assert.Contains("known fields", Assert.Throws<InvalidDataException>(() => ProxyConfigFile.Parse("clusterCidr: x\n")).Message);
    }
}
