using Provisioner.Host.Netlink;
using Provisioner.ServiceRules.Nftables;

namespace Provisioner.ServiceRules.Tests;

/// <summary>
/// The element encoding is nft 1.0.6's, byte for byte: the expected lists are what <c>strace -xx nft -f</c> showed nft
/// send (NFTA_SET_ELEM_LIST_ELEMENTS of its NFT_MSG_NEWSETELEM) for the same elements of the same set declarations.
/// </summary>
public sealed class NftElementCodecSpecs
{
    [Fact]
    public void A_concatenated_key_with_numgen_a_value_and_a_comment_encode_as_nft_encodes_them()
    {
        var set = new NftSet("map", "m", "typeof ip daddr . meta l4proto . th dport . numgen random mod 1 : ip daddr . th dport;", []);

        var list = ElementList(set, new NftElement("10.0.0.1 . tcp . 80 . 2", "10.1.0.1 . 8080", "ab"));

        Assert.Equal("380001801800018014000100" + "0a000001" + "06000000" + "00500000" + "02000000" // key: addr, proto, port, numgen (host order)
            + "100002800c000100" + "0a010001" + "1f900000" // data: addr, port
            + "0900060000036162" + "00000000", list); // udata: comment TLV (type 0, length 3, "ab\0"), padded
    }

    [Fact]
    public void A_goto_verdict_encodes_as_a_nested_verdict_code_and_chain()
    {
        var set = new NftSet("map", "v", "type ipv4_addr . inet_proto . inet_service : verdict;", []);

        var list = ElementList(set, new NftElement("10.0.0.1 . udp . 53", "goto pick-1", "c"));

        Assert.Equal("3c0001801400018010000100" + "0a000001" + "11000000" + "00350000" // key
            + "1c00028018000280" + "08000100fffffffc" + "0b000200" + "7069636b2d310000" // NFT_GOTO, "pick-1\0"
            + "0800060000026300", list);
    }

    [Fact]
    public void A_set_element_without_data_or_comment_is_its_key_alone()
    {
        var set = new NftSet("set", "h", "typeof ip saddr . ip daddr;", []);

        Assert.Equal("14000180100001800c000100" + "0a010001" + "0a010001", ElementList(set, new NftElement("10.1.0.1 . 10.1.0.1")));
    }

    [Fact]
    public void Each_message_names_table_and_set_and_no_element_list_nears_the_64_KB_an_attribute_holds()
    {
        var set = new NftSet("map", "service-endpoints", "typeof ip daddr . meta l4proto . th dport . numgen random mod 1 : ip daddr . th dport;", []);
        var batch = new NfTablesElementBatch("netlab");
        var codec = NftElementCodec.For(set);
        for (var i = 0; i < 3000; i++)
            codec.AddTo(batch, new NftElement($"10.96.{i / 250}.{i % 250} . tcp . 80 . 0", "10.244.0.1 . 8080", $"bench/svc-{i}:http -> 10.244.0.1:8080"));

        var messages = batch.Encoded();

        Assert.Equal(3000, batch.Elements);
        Assert.True(messages.Count > 1, $"{messages.Count} message(s)");
        Assert.All(messages, m => Assert.InRange(m.Length, 1, 40 * 1024));
        Assert.All(messages, m => Assert.Equal("0c0a0104", Convert.ToHexStringLower(m.AsSpan(4, 4)))); // NFT_MSG_NEWSETELEM, REQUEST|CREATE
        Assert.All(messages, m => Assert.Equal("02000000" + "0b0001006e65746c61620000" + "16000200" + "736572766963652d656e64706f696e747300", Convert.ToHexStringLower(m.AsSpan(16, 38))));
    }

    [Theory]
    [InlineData("10.0.0.1 . tcp . 80", "goto pick-1", "set v, element 10.0.0.1 . tcp . 80 : goto pick-1: '10.0.0.1 . tcp . 80' has fewer than the 4 fields")]
    [InlineData("10.0.0.1 . tcp . 99999 . 0", "10.1.0.1 . 80", "'99999' is not a port (0-65535) (field 3 of 4)")]
    [InlineData("10.0.0.x . tcp . 80 . 0", "10.1.0.1 . 80", "'10.0.0.x' is not an IPv4 address (field 1 of 4)")]
    public void An_element_that_is_not_its_sets_type_is_an_error_naming_the_set_the_element_and_the_field(string key, string value, string expected)
    {
        var set = new NftSet("map", "v", "typeof ip daddr . meta l4proto . th dport . numgen random mod 1 : ip daddr . th dport;", []);

        var failure = Assert.Throws<Applying.NftLoadException>(() => NftElementCodec.For(set).AddTo(new NfTablesElementBatch("t"), new NftElement(key, value)));

        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
    }

    /// <summary>The NFTA_SET_ELEM_LIST_ELEMENTS attribute's payload of the one message, as hex.</summary>
    private static string ElementList(NftSet set, NftElement element)
    {
        var batch = new NfTablesElementBatch("t");
        NftElementCodec.For(set).AddTo(batch, element);
        var message = Assert.Single(batch.Encoded());
        var elements = 16 + 4 + 8 + 8; // header, nfgenmsg, table "t", set (a one-letter name)
        return Convert.ToHexStringLower(message.AsSpan(elements + 4));
    }
}
