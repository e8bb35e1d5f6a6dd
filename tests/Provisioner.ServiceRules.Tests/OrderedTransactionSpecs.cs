using Provisioner.ServiceRules.Iptables;
using Provisioner.ServiceRules.Model;

namespace Provisioner.ServiceRules.Tests;

/// <summary>
/// The iptables payload is a sequence of transactions; replaying it over a model of the chain graph proves that every
/// state between two COMMITs is consistent (no jump to a chain that does not exist, no chain deleted while reached)
/// and that no transaction names more chains than the bound that keeps iptables-nft-restore linear (except a first
/// sync's whole-table load, which the tool caches with one dump).
/// </summary>
public sealed class OrderedTransactionSpecs
{
    private static readonly NodeContext Node = new("node-a", ["192.168.50.1"], "10.244.0.0/16", "10.96.0.0/12");

    private static ServiceTable Table(int count, int endpoints = 3) => new([.. Enumerable.Range(0, count).Select(i => new Service
    {
        Namespace = "bench", Name = $"svc-{i}", ClusterIP = $"10.96.{i / 250}.{i % 250 + 1}",
        Type = i % 7 == 0 ? ServiceType.NodePort : ServiceType.ClusterIP,
        Ports = [new ServicePort("http", 80, 8080, NodePort: i % 7 == 0 ? 30000 + i : null)],
        Endpoints = [.. Enumerable.Range(0, endpoints).Select(j => new Endpoint($"10.244.{i / 80}.{i % 80 * 3 + j + 1}", "node-a"))],
    })]);

    [Fact]
    public void A_large_sync_onto_a_table_holding_netlab_chains_is_cut_into_bounded_transactions_each_leaving_a_consistent_graph()
    {
        var small = Replay(IptablesKernelState.Empty, IptablesPlanner.Plan(IptablesCompiler.Compile(Table(1), Node), IptablesKernelState.Empty).Payload);
        var desired = IptablesCompiler.Compile(Table(700), Node);

        var (_, payload) = IptablesPlanner.Plan(desired, small);

        var kernel = Replay(small, payload);
        Assert.True(IptablesPlanner.TransactionCount(payload) > 5, "700 services (2,900 chains) should take several transactions");
        Assert.DoesNotContain("\n" + IptablesPlanner.WholeTableLoad + "\n", payload, StringComparison.Ordinal);
        Assert.Empty(IptablesPlanner.Plan(desired, kernel).Changes); // the replayed result is exactly the desired state
    }

    [Fact]
    public void A_first_sync_of_a_large_table_is_one_transaction_that_lists_the_table_right_after_the_hook_jumps()
    {
        var desired = IptablesCompiler.Compile(Table(700), Node);

        var (_, payload) = IptablesPlanner.Plan(desired, IptablesKernelState.Empty);

        var nat = payload.Split("COMMIT\n")[0].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var load = Array.IndexOf(nat, IptablesPlanner.WholeTableLoad);
        Assert.Equal(2, IptablesPlanner.TransactionCount(payload)); // nat (2,900 chains) and filter
        Assert.True(load > 0, "the nat transaction lists the table so that iptables-nft fetches its chains in one dump");
        Assert.All(nat[..load].Where(l => l.StartsWith('-')), l => Assert.StartsWith("-I ", l, StringComparison.Ordinal));
        Assert.All(nat[(load + 1)..], l => Assert.StartsWith(l.StartsWith(':') ? ":NETLAB-" : "-A NETLAB-", l, StringComparison.Ordinal));
        Assert.Empty(IptablesPlanner.Plan(desired, Replay(IptablesKernelState.Empty, payload)).Changes);
        Assert.DoesNotContain("\n" + IptablesPlanner.WholeTableLoad + "\n", // iptables-legacy has no such cache to spare
            IptablesPlanner.Plan(desired, IptablesKernelState.Empty, singleTransaction: true).Payload, StringComparison.Ordinal);
    }

    [Fact]
    public void An_iptables_legacy_payload_is_one_transaction_per_table_that_declares_every_chain_first_in_descending_order()
    {
        var small = Replay(IptablesKernelState.Empty, IptablesPlanner.Plan(IptablesCompiler.Compile(Table(1), Node), IptablesKernelState.Empty).Payload);
        var desired = IptablesCompiler.Compile(Table(700), Node);
        var ordered = IptablesPlanner.AsSingleTransactions(IptablesPlanner.Plan(desired, small).Payload).Split('\n');

        var (_, payload) = IptablesPlanner.Plan(desired, small, singleTransaction: true);

        var lines = payload.Split('\n');
        foreach (var table in IptablesRuleset.Tables)
        {
            var block = lines.SkipWhile(l => l != "*" + table).Skip(1).TakeWhile(l => l != "COMMIT").ToList();
            var declarations = block.TakeWhile(l => l.StartsWith(':')).ToList();
            Assert.DoesNotContain(block.Skip(declarations.Count), l => l.StartsWith(':'));
            Assert.Equal([.. declarations.OrderDescending(StringComparer.Ordinal)], declarations);
            var before = ordered.SkipWhile(l => l != "*" + table).Skip(1).TakeWhile(l => l != "COMMIT").ToList();
            Assert.Equal([.. before.Where(l => l.StartsWith(':')).Distinct().OrderDescending(StringComparer.Ordinal)], declarations);
            Assert.Equal(before.Where(l => !l.StartsWith(':')), block.Skip(declarations.Count)); // the other lines, in their order
        }
        var headers = lines.Where(l => l.StartsWith('*')).ToList();
        Assert.Equal(headers.Distinct().Count(), IptablesPlanner.TransactionCount(payload));
        Assert.Equal(headers.Count, IptablesPlanner.TransactionCount(payload));
        Assert.Empty(IptablesPlanner.Plan(desired, Replay(small, payload, legacy: true)).Changes);
    }

    [Fact]
    public void Removing_everything_deletes_dispatch_rules_first_and_endpoint_chains_last()
    {
        var desired = IptablesCompiler.Compile(Table(700), Node);
        var kernel = Replay(IptablesKernelState.Empty, IptablesPlanner.Plan(desired, IptablesKernelState.Empty).Payload);

        var (_, payload) = IptablesPlanner.Plan(IptablesRuleset.Empty, kernel);

        var after = Replay(kernel, payload);
        Assert.Empty(after.Chains);
        Assert.Empty(after.Jumps);
    }

    [Fact]
    public void Replacing_half_the_endpoints_keeps_every_intermediate_state_consistent()
    {
        var before = IptablesCompiler.Compile(Table(700), Node);
        var kernel = Replay(IptablesKernelState.Empty, IptablesPlanner.Plan(before, IptablesKernelState.Empty).Payload);
        var after = IptablesCompiler.Compile(new ServiceTable([.. Table(700).Services.Select((s, i) => i % 2 == 0 ? s with
        {
            Endpoints = [new Endpoint($"10.245.{i / 200}.{i % 200 + 1}", "node-a")],
        } : s)]), Node);

        var (_, payload) = IptablesPlanner.Plan(after, kernel);

        Assert.Empty(IptablesPlanner.Plan(after, Replay(kernel, payload)).Changes);
    }

    [Fact]
    public void A_small_change_runs_as_one_transaction_per_table_so_the_kernel_validates_the_table_once()
    {
        var before = IptablesCompiler.Compile(Table(700), Node);
        var kernel = Replay(IptablesKernelState.Empty, IptablesPlanner.Plan(before, IptablesKernelState.Empty).Payload);
        var services = Table(701).Services.ToList();
        services[3] = services[3] with { Ports = [new ServicePort("http", 81, 8080)] }; // new chains, dispatch rules out and in
        services.RemoveAt(10);
        var after = IptablesCompiler.Compile(new ServiceTable(services), Node);

        var (_, payload) = IptablesPlanner.Plan(after, kernel);

        Assert.Equal(1, IptablesPlanner.TransactionCount(payload));
        Assert.Contains("-X NETLAB-SEP-", payload, StringComparison.Ordinal);
        Assert.Contains("-I NETLAB-SERVICES 1 ", payload, StringComparison.Ordinal);
        Assert.Empty(IptablesPlanner.Plan(after, Replay(kernel, payload)).Changes);
    }

    [Fact]
    public void The_check_form_of_a_payload_has_one_transaction_per_table()
    {
        var (_, payload) = IptablesPlanner.Plan(IptablesCompiler.Compile(Table(700), Node), IptablesKernelState.Empty);

        var single = IptablesPlanner.AsSingleTransactions(payload);

        Assert.Equal(2, IptablesPlanner.TransactionCount(single));
        Assert.Equal(payload.Split('\n').Count(l => l.StartsWith('-')), single.Split('\n').Count(l => l.StartsWith('-')));
    }

    /// <summary>Applies a payload to a model of the kernel, transaction by transaction, failing on any inconsistent state
    /// (and, unless <paramref name="legacy"/>, on a transaction naming more chains than the bound).</summary>
    private static IptablesKernelState Replay(IptablesKernelState start, string payload, bool legacy = false)
    {
        var chains = start.Chains.ToDictionary(c => c.Key, c => c.Value.ToList(), StringComparer.Ordinal);
        var jumps = start.Jumps.ToList();
        var table = "";
        var transaction = 0;
        var named = new HashSet<string>(StringComparer.Ordinal);
        var wholeTable = false;
        foreach (var line in payload.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('*'))
                (table, named, wholeTable) = (line[1..], [], false);
            else if (line == IptablesPlanner.WholeTableLoad)
                wholeTable = true; // lists the table, changes nothing
            else if (line == "COMMIT")
            {
                transaction++;
                Assert.True(legacy || wholeTable || named.Count <= IptablesPlanner.ChainsPerTransaction, $"transaction {transaction} names {named.Count} chains");
                AssertConsistent(chains, jumps, transaction);
            }
            else if (line.StartsWith(':'))
            {
                var name = line[1..line.IndexOf(' ', StringComparison.Ordinal)];
                named.Add(name);
                chains[$"{table}/{name}"] = [];
            }
            else if (line.StartsWith("-X ", StringComparison.Ordinal))
            {
                Assert.True(chains.Remove($"{table}/{line[3..]}"), $"transaction {transaction + 1} deletes {line[3..]}, which does not exist");
                named.Add(line[3..]);
            }
            else
            {
                var rule = line.StartsWith("-I ", StringComparison.Ordinal)
                    ? "-A " + ChainGraphValidator.ChainOf(line) + line[(line.IndexOf(" 1 ", StringComparison.Ordinal) + 2)..]
                    : "-A" + line[2..];
                var chain = ChainGraphValidator.ChainOf(rule);
                named.Add(chain);
                if (chain.StartsWith("NETLAB-", StringComparison.Ordinal))
                {
                    var rules = chains[$"{table}/{chain}"];
                    if (line.StartsWith("-D", StringComparison.Ordinal)) Assert.True(rules.Remove(rule), $"no rule to delete: {line}");
                    else if (line.StartsWith("-I", StringComparison.Ordinal)) rules.Insert(0, rule);
                    else rules.Add(rule);
                }
                else if (line.StartsWith("-D", StringComparison.Ordinal))
                    Assert.Equal(1, jumps.RemoveAll(j => j.Table == table && j.Rule == rule));
                else
                    jumps.Insert(0, new IptablesHookJump(table, rule));
            }
        }
        return new IptablesKernelState(chains.ToDictionary(c => c.Key, c => (IReadOnlyList<string>)c.Value, StringComparer.Ordinal), jumps);
    }

    private static void AssertConsistent(Dictionary<string, List<string>> chains, List<IptablesHookJump> jumps, int transaction)
    {
        var rules = chains.SelectMany(c => c.Value.Select(r => (Table: c.Key.Split('/')[0], Rule: r))).Concat(jumps.Select(j => (j.Table, j.Rule)));
        foreach (var (table, rule) in rules)
            if (ChainGraphValidator.TargetOf(rule) is { } target && target.StartsWith("NETLAB-", StringComparison.Ordinal))
                Assert.True(chains.ContainsKey($"{table}/{target}"), $"after transaction {transaction}: '{rule}' jumps to {target}, which does not exist");
    }
}
