using Provisioner.Host.Netlink;
using Provisioner.Host.Processes;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Nftables;
using Provisioner.Testing;

namespace Provisioner.ServiceRules.Tests;

/// <summary>A first nftables sync loads the skeleton with nft and the elements over netlink (NftFirstLoad): the kernel
/// then lists exactly the table one nft -f would have made, and a refused element leaves no table.</summary>
[Collection(PrivilegedCollection.Name)]
public sealed class NftFirstLoadSpecs : IDisposable
{
    private readonly TestNetns _netns = new();

    /// <summary>Every shape of element: comments, goto verdicts, 4-field concatenated keys with numgen, node ports,
    /// affinity, no-endpoint and local-only services, and 20 services as the benchmark builds them.</summary>
    private static ServiceTable Mixed => new([.. Samples.All.Services,
        .. Samples.Many(20).Services.Select((s, i) => s with { ClusterIP = $"10.96.200.{i + 1}" })]);

    [PrivilegedFact]
    public async Task A_first_sync_over_netlink_lists_exactly_as_the_one_transaction_nft_load()
    {
        var (oneTransaction, netlink) = (_netns.Create("nlf"), _netns.Create("nlf"));
        var plan = await new ServiceRulesApplier(RuleBackend.Nftables, oneTransaction).PlanAsync(Mixed, Samples.NodeA);
        var script = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(script, plan.Script);
            var loaded = _netns.Exec(oneTransaction, "nft", "-f", script);
            Assert.True(loaded.Succeeded, loaded.StandardError);
        }
        finally
        {
            File.Delete(script);
        }

        var applied = await new ServiceRulesApplier(RuleBackend.Nftables, netlink).ApplyAsync(Mixed, Samples.NodeA);

        Assert.NotNull(applied.Plan.FirstLoad);
        var expected = _netns.Exec(oneTransaction, "nft", "list", "table", "ip", "netlab").StandardOutput;
        var actual = _netns.Exec(netlink, "nft", "list", "table", "ip", "netlab").StandardOutput;
        Assert.Contains("goto pick-", expected, StringComparison.Ordinal);
        Assert.Contains("comment \"default/web:http -> ", expected, StringComparison.Ordinal);
        Assert.Equal(expected, actual);
    }

    [PrivilegedFact]
    public async Task The_engine_proves_its_first_load_by_the_generation_and_a_second_sync_finds_nothing_to_do()
    {
        var ns = _netns.Create("nlf");
        using var engine = new ServiceRulesEngine(RuleBackend.Nftables, ns);

        var first = await engine.SyncAsync(Mixed, Samples.NodeA);
        var second = await engine.SyncAsync(Mixed, Samples.NodeA);

        Assert.NotNull(first.Plan.FirstLoad);
        Assert.NotNull(first.Generation); // moved by exactly the load's three transactions
        Assert.Equal(first.AppliedFrom!.Value.Id + 3, first.Generation!.Value.Id);
        Assert.Equal(SyncKind.Partial, second.Kind);
        Assert.False(second.Plan.HasChanges, second.Plan.Describe());
        var reread = await new ServiceRulesApplier(RuleBackend.Nftables, ns).PlanAsync(Mixed, Samples.NodeA);
        Assert.False(reread.HasChanges, reread.Describe());
    }

    [PrivilegedFact]
    public async Task An_element_the_kernel_refuses_is_named_with_its_set_and_no_table_is_left()
    {
        var ns = _netns.Create("nlf");
        var table = NftCompiler.Compile(Mixed, Samples.NodeA);
        var refused = new NftElement("10.96.0.99 . tcp . 80", "goto pick-99", "a goto to a chain that does not exist");
        var broken = table with
        {
            Sets = [.. table.Sets.Select(s => s.Name == "service-ips" ? s with { Elements = [.. s.Elements, refused] } : s)],
        };
        var commands = new RuleCommands(RuleBackend.Nftables, ns, ProcessRunner.Default, TimeSpan.FromSeconds(60));

        var failure = await Assert.ThrowsAsync<NftLoadException>(() => new NftFirstLoad(broken).RunAsync(commands, CancellationToken.None));

        Assert.Contains("element 10.96.0.99 . tcp . 80 comment \"a goto to a chain that does not exist\" : goto pick-99 of set service-ips", failure.Message, StringComparison.Ordinal);
        Assert.Contains("nothing is half-applied", failure.Message, StringComparison.Ordinal);
        Assert.False(_netns.Exec(ns, "nft", "list", "table", "ip", "netlab").Succeeded, "the half-loaded table is still there");
    }

    [PrivilegedFact]
    public async Task The_kernel_read_over_netlink_is_exactly_what_parsing_nft_list_gives()
    {
        var ns = _netns.Create("nlf");
        await new ServiceRulesApplier(RuleBackend.Nftables, ns).ApplyAsync(Mixed, Samples.NodeA);
        var hand = _netns.Exec(ns, "nft", "add", "element", "ip", "netlab", "affinity", "{ 10.9.9.9 . 10.96.0.12 . 80 timeout 1h : 10.244.1.1 . 8080 }");
        Assert.True(hand.Succeeded, hand.StandardError);
        var commands = new RuleCommands(RuleBackend.Nftables, ns, ProcessRunner.Default, TimeSpan.FromSeconds(60));

        var listed = NftListingParser.Parse(_netns.Exec(ns, "nft", "list", "table", "ip", "netlab").StandardOutput);
        var read = await NftKernelRead.ReadAsync(commands, CancellationToken.None);

        Assert.Equal(listed.SkeletonHash, read.SkeletonHash);
        Assert.Equal(listed.Skeleton!.Chains.Keys, read.Skeleton!.Chains.Keys);
        Assert.All(listed.Skeleton.Chains, c => Assert.Equal(c.Value, read.Skeleton.Chains[c.Key]));
        Assert.All(listed.Skeleton.Sets, s => Assert.Equal(s.Value, read.Skeleton.Sets[s.Key]));
        Assert.Equal(listed.Elements.Keys, read.Elements.Keys);
        Assert.All(listed.Elements.Where(s => s.Key != "affinity"), s => Assert.Equal(s.Value, read.Elements[s.Key])); // in nft's order
        Assert.NotEmpty(read.Elements["service-endpoints"]);
        Assert.StartsWith("10.9.9.9 . 10.96.0.12 . 80 timeout 1h expires ", Assert.Single(read.Elements["affinity"]).Key, StringComparison.Ordinal); // its expiry moves on
    }

    public void Dispose() => _netns.Dispose();
}
