using System.Text;
using Provisioner.Host.Netlink;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;
using Xunit;

namespace Provisioner.ServiceRules.Tests;

/// <summary>The engine's state file read from its bytes: the header at once, the rules only when asked, the same as
/// from its text; anything that is not a whole header of this backend is no state.</summary>
public sealed class StateFileSpecs
{
    private static readonly ServiceTable Table = new([Samples.Web, Samples.NodePortWeb, Samples.Sticky, Samples.Empty]);

    [Theory]
    [InlineData(RuleBackend.Iptables)]
    [InlineData(RuleBackend.Nftables)]
    public void A_state_file_read_from_its_bytes_gives_the_header_and_the_same_rules_as_its_text(RuleBackend backend)
    {
        var generation = new NfTablesGeneration(77, 1234);
        var text = DesiredRules.Of(backend, Table, Samples.NodeA).AfterApply().ToStateText(backend, generation, "fp-1");

        var state = KnownRules.FromStateBytes(Encoding.UTF8.GetBytes(text), backend);

        Assert.NotNull(state);
        Assert.Equal(generation, state.Value.Generation);
        Assert.Equal("fp-1", state.Value.Fingerprint);
        Assert.NotNull(state.Value.Rules);
        Assert.False(state.Value.Rules.IsValueCreated);
        Assert.Equal(text, state.Value.Rules.Value.ToStateText(backend, generation, "fp-1"));
        Assert.Contains("10.96.", text, StringComparison.Ordinal); // the sample's rules are in it: the comparison means something
    }

    [Theory]
    [InlineData("")]
    [InlineData("# netlab service-rules state v2\nbackend Iptables\ntable fp-1\n")]
    [InlineData("# netlab service-rules state v2\nbackend Iptables\ntable fp-1\ngeneration 12 netns 77\n")]
    [InlineData("# netlab service-rules state v2\nbackend Nftables\ntable fp-1\ngeneration 12 netns 77\nrules inline\n*nat\nCOMMIT\n")]
    [InlineData("# netlab service-rules state v2\nbackend Iptables\ntable fp-1\ngeneration twelve netns 77\nrules inline\n*nat\nCOMMIT\n")]
    [InlineData("# netlab service-rules state v2\nbackend Iptables\ntable fp-1\ngeneration 12 netns 77\nrules elsewhere\n")]
    [InlineData("# netlab service-rules state v1\nbackend Iptables\ntable fp-1\ngeneration 12 netns 77\n*nat\nCOMMIT\n")]
    [InlineData("\0\u00ff garbage\n\n\n\n\n")]
    public void A_truncated_corrupted_or_other_backends_state_file_is_no_state(string text) =>
        Assert.Null(KnownRules.FromStateBytes(Encoding.UTF8.GetBytes(text), RuleBackend.Iptables));

    [Fact]
    public void A_state_file_whose_rules_are_the_compiled_services_files_has_a_header_and_no_rules()
    {
        var generation = new NfTablesGeneration(77, 1234);
        var text = KnownRules.CompiledStateText(RuleBackend.Iptables, generation, "fp-1");

        var state = KnownRules.FromStateBytes(Encoding.UTF8.GetBytes(text), RuleBackend.Iptables);

        Assert.NotNull(state);
        Assert.Null(state.Value.Rules);
        Assert.Equal((generation, "fp-1"), (state.Value.Generation, state.Value.Fingerprint));
        Assert.Null(KnownRules.FromStateBytes(Encoding.UTF8.GetBytes(text), RuleBackend.Nftables));
    }
}
