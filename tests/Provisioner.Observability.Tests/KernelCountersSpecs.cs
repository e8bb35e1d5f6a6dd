using Provisioner.Observability.Metrics;
using Provisioner.ServiceRules.Applying;
using Xunit;

namespace Provisioner.Observability.Tests;

public class KernelCountersSpecs
{
    [Fact]
    public void Interface_counters_are_read_from_proc_net_dev()
    {
        const string dev = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:     120       2    0    0    0     0          0         0      120       2    0    0    0     0       0          0
              eth0:    3762      31    1    4    0     0          0         0     1866      21    2    3    0     0       0          0
            """;

        var links = KernelCounters.ParseNetDev(dev);

        Assert.Equal(2, links.Count);
        Assert.Equal(new InterfaceCounters("eth0", 3762, 31, 1, 4, 1866, 21, 2, 3), links[1]);
    }

    [Fact]
    public void The_TCP_retransmit_counter_is_read_from_proc_net_snmp()
    {
        const string snmp = """
            Ip: Forwarding DefaultTTL
            Ip: 1 64
            Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
            Tcp: 1 200 120000 -1 7 3 0 0 1 90 88 17 0 2 0
            """;

        Assert.Equal(17, KernelCounters.ParseTcpRetransmits(snmp));
        Assert.Null(KernelCounters.ParseTcpRetransmits("Ip: 1 64"));
    }

    [Fact]
    public void OVS_tunnel_ports_are_read_with_their_counters_and_other_ports_left_to_the_kernel_listing()
    {
        const string csv = """
            netlab-ul,internal,collisions=0 rx_bytes=0 rx_dropped=0 rx_errors=0 rx_packets=0 tx_bytes=0 tx_dropped=0 tx_errors=0 tx_packets=0
            vx-w1,vxlan,rx_bytes=1500 rx_packets=10 tx_bytes=900 tx_packets=6
            eth0,,collisions=0 rx_bytes=610 rx_packets=7 tx_bytes=266 tx_packets=3
            """;

        var tunnel = Assert.Single(KernelCounters.ParseOvsTunnels(csv));

        Assert.Equal(new InterfaceCounters("vx-w1", 1500, 10, 0, 0, 900, 6, 0, 0), tunnel);
    }

    [Fact]
    public void Only_rules_of_NETLAB_chains_are_read_with_their_counters_comment_and_target()
    {
        var rules = KernelCounters.ParseIptablesSave(ServiceFixtures.IptablesSave(ServiceFixtures.Node(RuleBackend.Iptables)));

        Assert.DoesNotContain(rules, r => !r.Chain.StartsWith("NETLAB-", StringComparison.Ordinal));
        var clusterIp = Assert.Single(rules, r => r.Comment == "default/web cluster IP" && r.Chain == "NETLAB-SERVICES");
        Assert.Equal(("nat", 3L, 180L), (clusterIp.Table, clusterIp.Packets, clusterIp.Bytes));
        Assert.Equal("NETLAB-SERVICES \"default/web cluster IP\"", clusterIp.Rule);
        var dnat = Assert.Single(rules, r => r.DnatTo == "10.244.1.2:8080");
        Assert.Equal(("DNAT", 1L), (dnat.Target, dnat.Packets));
        Assert.Contains(rules, r => r.Comment == "default/web" && r.Chain == "NETLAB-NODEPORTS"); // an unquoted comment
    }

    [Fact]
    public void Counted_nftables_map_elements_keep_their_key_and_value_without_the_counter()
    {
        var elements = KernelCounters.ParseNftElements(ServiceFixtures.NftListing);

        Assert.DoesNotContain(elements, e => e.Map == "cluster-ips"); // a set without counters
        var second = Assert.Single(elements, e => e.Key == "10.96.248.27 . tcp . 80 . 1");
        Assert.Equal(("service-endpoints", "10.244.1.2 . 8080", 1L, 60L), (second.Map, second.Value, second.Packets, second.Bytes));
        Assert.Equal(4, elements.Count);
    }

    [Fact]
    public void Iptables_counters_map_to_the_service_frontends_and_endpoints_whose_chains_the_engine_names()
    {
        var node = ServiceFixtures.Node(RuleBackend.Iptables);
        var (services, endpoints) = RuleCounterMatcher.FromIptables(node, KernelCounters.ParseIptablesSave(ServiceFixtures.IptablesSave(node)));

        Assert.Equal(
            [("default/web", "cluster IP", 3L), ("default/web", "node port", 0L)],
            services.Select(s => (s.Service, s.Frontend, s.Packets)).Order().ToList());
        Assert.Equal(
            [("10.244.0.3:8080", 2L), ("10.244.1.2:8080", 1L)],
            endpoints.Select(e => (e.Endpoint, e.Packets)).Order().ToList());
        Assert.All(endpoints, e => Assert.StartsWith("NETLAB-SEP-", e.Rule, StringComparison.Ordinal));
    }

    [Fact]
    public void Nftables_counters_map_to_the_same_frontends_and_endpoints_through_the_map_keys()
    {
        var node = ServiceFixtures.Node(RuleBackend.Nftables);
        var (services, endpoints) = RuleCounterMatcher.FromNftables(node, KernelCounters.ParseNftElements(ServiceFixtures.NftListing));

        Assert.Equal(
            [("default/web", "cluster IP", 3L, "service-ips 10.96.248.27 . tcp . 80"), ("default/web", "node port", 1L, "service-nodeports tcp . 31400")],
            services.Select(s => (s.Service, s.Frontend, s.Packets, s.Rule)).Order().ToList());
        Assert.Equal([("10.244.0.3:8080", 2L), ("10.244.1.2:8080", 1L)], endpoints.Select(e => (e.Endpoint, e.Packets)).Order().ToList());
    }

    [Fact]
    public void A_drop_table_printed_by_bpftrace_becomes_counts_by_namespace_and_reason_once_it_is_complete()
    {
        var monitor = new DropMonitor(Host.Processes.ProcessRunner.Default);

        monitor.OnLine("@drops[12, 0]: 3");
        Assert.Empty(monitor.Current); // not complete until the separator line
        monitor.OnLine("@drops[77, 0]: 2");
        monitor.OnLine("--");

        Assert.True(monitor.Attached);
        Assert.Equal(2, monitor.Current.Count);
        Assert.All(monitor.Current.Keys, k => Assert.Equal("unknown", k.Namespace));
    }
}
