using System.Buffers.Binary;
using Provisioner.Observability.Trace;
using Xunit;

namespace Provisioner.Observability.Tests;

/// <summary>Reading probe-drops.bt's lines (captured from this kernel) and the DNS query a UDP probe to port 53 sends.</summary>
public sealed class ProbeDropsSpecs
{
    private static readonly Dictionary<int, string> Reasons = new() { [2] = "NOT_SPECIFIED", [12] = "NETFILTER_DROP", [16] = "IP_RPFILTER" };
    private static readonly Dictionary<ulong, string> Names = new() { [4026532316] = "lab-cp1" };

    [Fact]
    public void A_drop_line_gives_the_reason_by_name_the_namespace_by_name_and_what_the_function_means()
    {
        var drop = ProbeDrops.Parse("drop reason=2 ns=4026532316 at=__dev_forward_skb2+0x1d src=10.244.0.4 dst=10.244.1.2 sport=2048 dport=19213 len=1514", Reasons, Names);

        Assert.NotNull(drop);
        Assert.Equal(("NOT_SPECIFIED", "lab-cp1", "10.244.0.4", "10.244.1.2", 1514), (drop.Reason, drop.Namespace, drop.Source, drop.Destination, drop.Length));
        Assert.Contains("larger than the MTU", drop.Meaning, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_reason_or_namespace_stays_a_number_and_other_lines_are_not_drops()
    {
        var drop = ProbeDrops.Parse("drop reason=99 ns=1234 at=ip_rcv_finish_core src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2 len=60", Reasons, Names)!;

        Assert.Equal(("99", "1234", null), (drop.Reason, drop.Namespace, drop.Meaning));
        Assert.Null(ProbeDrops.Parse("Attaching 2 probes...", Reasons, Names));
    }

    [Fact]
    public void The_embedded_script_matches_the_probe_by_protocol_address_and_port_and_looks_inside_VXLAN()
    {
        var script = ProbeDrops.ScriptText();
        Assert.Contains("tracepoint:skb:kfree_skb", script, StringComparison.Ordinal);
        Assert.Contains("$ip->protocol != $1", script, StringComparison.Ordinal);
        Assert.Contains("0xb512", script, StringComparison.Ordinal); // 4789 in network order
    }

    [Fact]
    public void The_DNS_probe_is_one_TXT_question_for_the_zone_s_dns_version()
    {
        var query = DnsQuery.VersionQuery("cluster.local");

        Assert.Equal(0x0100, BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(2)));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(4)));
        Assert.Equal("\u000bdns-version\u0007cluster\u0005local\0", System.Text.Encoding.ASCII.GetString(query, 12, query.Length - 16));
        Assert.Equal(16, BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(query.Length - 4)));
    }
}
