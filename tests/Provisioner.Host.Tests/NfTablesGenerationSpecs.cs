using Provisioner.Host.Netlink;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Host.Tests;

/// <summary>The nf_tables generation moves with every commit in its namespace, by nft or iptables-nft, and only there.</summary>
[Collection(PrivilegedCollection.Name)]
public sealed class NfTablesGenerationSpecs : IDisposable
{
    private readonly TestNetns _netns = new();

    [PrivilegedFact]
    public void Every_committed_change_moves_the_generation_and_reading_or_a_no_op_does_not()
    {
        var ns = _netns.Create("nlg");
        var path = "/run/netns/" + ns;
        var start = NfTablesGeneration.Read(path);

        Assert.Equal(start, NfTablesGeneration.Read(path));
        Assert.True(_netns.Exec(ns, "nft", "add", "table", "ip", "gen-spec").Succeeded);
        var afterNft = NfTablesGeneration.Read(path);
        Assert.True(_netns.Exec(ns, "iptables-nft", "-t", "nat", "-N", "GEN-SPEC").Succeeded);
        var afterIptables = NfTablesGeneration.Read(path);
        Assert.True(_netns.Exec(ns, "nft", "list", "ruleset").Succeeded);
        Assert.True(_netns.Exec(ns, "iptables-nft-save").Succeeded);
        Assert.True(_netns.Exec(ns, "nft", "add", "table", "ip", "gen-spec").Succeeded); // already there: an empty transaction
        var afterNoOps = NfTablesGeneration.Read(path);
        Assert.True(_netns.Exec(ns, "nft", "add", "chain", "ip", "gen-spec", "c").Succeeded);

        Assert.Equal(start.Id + 1, afterNft.Id);
        Assert.Equal(afterNft.Id + 1, afterIptables.Id);
        Assert.Equal(afterIptables, afterNoOps);
        Assert.Equal(afterNoOps.Id + 1, NfTablesGeneration.Read(path).Id);
        Assert.Equal(start.Namespace, afterNoOps.Namespace);
    }

    [PrivilegedFact]
    public void A_change_in_another_namespace_leaves_this_generation_alone()
    {
        var mine = _netns.Create("nlg");
        var other = _netns.Create("nlg");
        var before = NfTablesGeneration.Read("/run/netns/" + mine);

        Assert.True(_netns.Exec(other, "nft", "add", "table", "ip", "gen-spec").Succeeded);

        Assert.Equal(before, NfTablesGeneration.Read("/run/netns/" + mine));
        Assert.NotEqual(before.Namespace, NfTablesGeneration.Read("/run/netns/" + other).Namespace);
    }

    [PrivilegedFact]
    public void A_namespace_made_again_under_the_same_name_is_a_different_namespace()
    {
        var name = _netns.Create("nlg");
        var first = NfTablesGeneration.Read("/run/netns/" + name);
        Assert.True(new Provisioner.Host.Processes.ProcessRunner().TryRunAsync("ip", ["netns", "del", name]).GetAwaiter().GetResult().Succeeded);
        Assert.True(new Provisioner.Host.Processes.ProcessRunner().TryRunAsync("ip", ["netns", "add", name]).GetAwaiter().GetResult().Succeeded);

        var second = NfTablesGeneration.Read("/run/netns/" + name);

        Assert.Equal(first.Id, second.Id); // the counter starts again: alone it would prove nothing
        Assert.NotEqual(first.Namespace, second.Namespace);
    }

    public void Dispose() => _netns.Dispose();
}
