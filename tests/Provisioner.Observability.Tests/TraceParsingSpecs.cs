using Provisioner.Core.Config;
using Provisioner.Core.Planning;
using Provisioner.Netns;
using Provisioner.Observability.Trace;
using Xunit;

namespace Provisioner.Observability.Tests;

public class TraceParsingSpecs
{
    private const string Table = "netlab-trace-0a1b2c3d";

    [Fact]
    public void Only_the_first_traced_packet_is_shown_without_the_trace_table_s_own_rules()
    {
        string[] lines =
        [
            $"trace id ff4e2e63 ip {Table} prerouting packet: iif \"netlab0\" ip saddr 10.244.0.2 ip daddr 10.96.248.27 tcp sport 45123 tcp dport 80",
            $"trace id ff4e2e63 ip {Table} prerouting rule ip saddr 10.244.0.2 tcp sport 45123 meta nftrace set 1 (verdict continue)",
            "trace id ff4e2e63 ip netlab prerouting packet: iif \"netlab0\" ip saddr 10.244.0.2",
            "trace id ff4e2e63 ip netlab services rule ip daddr . meta l4proto . th dport vmap @service-ips (verdict goto pick-2)",
            "trace id ff4e2e63 ip netlab pick-2 rule dnat ip to ip daddr . meta l4proto . th dport . numgen random mod 2 map @service-endpoints (verdict accept)",
            "trace id 6da5f5d3 ip netlab filter-forward policy accept ",
        ];

        var rules = NetfilterTrace.FirstPacketNft(lines, Table);

        Assert.Equal(
        [
            "netlab services: rule ip daddr . meta l4proto . th dport vmap @service-ips (verdict goto pick-2)",
            "netlab pick-2: rule dnat ip to ip daddr . meta l4proto . th dport . numgen random mod 2 map @service-endpoints (verdict accept)",
        ], rules);
    }

    [Fact]
    public void Xtables_monitor_lines_keep_the_table_chain_verdict_and_the_rule_in_iptables_syntax()
    {
        string[] lines =
        [
            "PACKET: 2 ff4e2e63 IN=netlab0 SRC=10.244.0.2 DST=10.96.248.27 SPORT=45123 DPORT=80 SYN",
            $" TRACE: 2 ff4e2e63 {Table}:prerouting:rule:0x3:CONTINUE  -4 -t {Table} -A prerouting -s 10.244.0.2/32 -j TRACE",
            " TRACE: 2 ff4e2e63 nat:NETLAB-SEP-4BF5YOXF4CNSHTIN:rule:0x14:ACCEPT  -4 -t nat -A NETLAB-SEP-4BF5YOXF4CNSHTIN -p tcp -j DNAT --to-destination 10.244.0.3:8080",
            // The same packet after the route: the kernel may rehash the skb, so its trace id changes.
            " TRACE: 2 1b2c3d4e filter:FORWARD:rule:0xa:DROP  -4 -t filter -A FORWARD -p tcp -m tcp --dport 8080 -j DROP",
            // The SYN's retransmit: a new packet enters at PREROUTING (and, its connection new after the drop, meets NAT again).
            " TRACE: 2 6da5f5d3 nat:PREROUTING:rule:0x25:JUMP:NETLAB-SERVICES  -4 -t nat -A PREROUTING -j NETLAB-SERVICES",
            " TRACE: 2 6da5f5d3 filter:FORWARD:rule:0xa:DROP  -4 -t filter -A FORWARD -p tcp -m tcp --dport 8080 -j DROP",
        ];

        var rules = NetfilterTrace.FirstPacketIptables(lines, Table);

        Assert.Equal(
        [
            "nat:NETLAB-SEP-4BF5YOXF4CNSHTIN:rule:0x14:ACCEPT  -4 -t nat -A NETLAB-SEP-4BF5YOXF4CNSHTIN -p tcp -j DNAT --to-destination 10.244.0.3:8080",
            "filter:FORWARD:rule:0xa:DROP  -4 -t filter -A FORWARD -p tcp -m tcp --dport 8080 -j DROP",
        ], rules);
    }

    private static readonly LabPlan Plan = LabPlan.For(StackFile.Parse("""
        config:
          netlab:name: tr
          netlab:backend: netns
          netlab:nodes: [ { name: cp1, role: control-plane }, { name: w1 } ]
          netlab:pods: [ { name: web-1, node: w1, labels: { app: web } }, { name: client, node: cp1 } ]
          netlab:services: [ { name: web, selector: { app: web }, ports: [ { port: 80, targetPort: 8080 } ] } ]
        """, "test stack"));

    private static ProbeSpec Resolve(string from, string to) =>
        ProbeSpec.Resolve(Plan, LabLayout.For(Plan.Lab), pod => pod == "client" ? "10.244.0.2" : "10.244.1.2", from, to, ProbeProtocol.Tcp);

    [Fact]
    public void A_service_resolves_to_its_cluster_IP_and_port_and_a_pod_to_its_address_and_server_port()
    {
        var service = Resolve("client", "web");
        var pod = Resolve("outside", "web-1:9000");

        Assert.Equal((Plan.Addresses.Services[0].ClusterIP, 80, "tr-pod-client", "cp1"), (service.ToAddress, service.Port, service.FromNetns, service.FromNode));
        Assert.Equal(("10.244.1.2", 9000, "tr-outside", (string?)null), (pod.ToAddress.ToString(), pod.Port, pod.FromNetns, pod.FromNode));
        Assert.InRange(service.SourcePort, 40000, 59999);
    }

    [Theory]
    [InlineData("nobody", "web", "FROM 'nobody' is neither a pod (web-1, client, kube-dns) nor 'outside'")]
    [InlineData("client", "nothing", "TO 'nothing' is not a pod (web-1, client, kube-dns), a service (web, kube-dns), a node, an IP address or a DNS name with a dot (from a pod)")]
    [InlineData("client", "web:99999", "'99999' in 'web:99999' is not a port (1-65535)")]
    public void Bad_ends_are_refused_naming_what_exists(string from, string to, string message)
    {
        Assert.Equal(message, Assert.Throws<LabInputException>(() => Resolve(from, to)).Message);
    }
}
