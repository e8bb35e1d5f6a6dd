using Provisioner.Observability;
using Xunit;

namespace Provisioner.Observability.Tests;

public class TracerSpecs
{
    private const string Format = """
        print fmt: "skbaddr=%p rx_sk=%p protocol=%u location=%pS reason: %s", REC->skbaddr, REC->rx_sk, REC->protocol, REC->location, __print_symbolic(REC->reason, { 2, "NOT_SPECIFIED" }, { 3, "NO_SOCKET" }, { 12, "NETFILTER_DROP" }, { 13, "OTHERHOST" })
        """;

    [Fact]
    public void I_can_read_drop_reason_names_from_the_tracepoint_format()
    {
        var reasons = DropReasons.Parse(Format);

        Assert.Equal("NETFILTER_DROP", reasons[12]);
        Assert.Equal("NO_SOCKET", reasons[3]);
        Assert.Equal(4, reasons.Count);
    }

    [Fact]
    public void A_drop_line_gets_its_reason_and_namespace_named()
    {
        var reasons = DropReasons.Parse(Format);
        var names = new Dictionary<ulong, string> { [4026532385] = "dev-worker1" };

        var line = Tracer.Annotate("06:32:24 12                     nft_do_chain                 lo           4026532385", reasons, names);

        Assert.StartsWith("06:32:24 NETFILTER_DROP ", line, StringComparison.Ordinal);
        Assert.EndsWith(" dev-worker1", line, StringComparison.Ordinal);
        Assert.Equal("@drops_by_reason[NO_SOCKET]: 7", Tracer.Annotate("@drops_by_reason[3]: 7", reasons, names));
    }

    [Fact]
    public void Lines_it_does_not_recognise_pass_through_unchanged()
    {
        var line = "Attaching 3 probes...";

        Assert.Equal(line, Tracer.Annotate(line, DropReasons.Parse(Format), new Dictionary<ulong, string>()));
    }

    [Theory]
    [InlineData(TraceScript.Drops, "tracepoint:skb:kfree_skb")]
    [InlineData(TraceScript.Retransmits, "tracepoint:tcp:tcp_retransmit_skb")]
    public void Each_script_is_embedded_and_attaches_to_its_tracepoint(TraceScript script, string probe)
    {
        Assert.Contains(probe, Tracer.ScriptText(script), StringComparison.Ordinal);
    }
}
