using System.Collections.Concurrent;
using Provisioner.Host.Iproute;
using Provisioner.Host.Netlink;
using Provisioner.Host.Processes;
using Provisioner.ServiceRules.Applying;

namespace Provisioner.ServiceRules.Policy;

/// <summary>
/// Keeps a node's NetworkPolicy rules equal to a <see cref="PolicyTable"/>, in one atomic transaction per change.
/// Drift is found as the service engine finds it for nftables: the desired rules are loaded once into a private
/// network namespace (<c>unshare --net</c>, gone with the command) and listed there, which gives them exactly as this
/// kernel and tool print them; the node's own listing must equal that, line for line, or the plan lists the
/// difference and the apply rewrites the whole policy ruleset (small: one chain per isolated pod).
/// </summary>
/// <param name="cacheDirectory">Where the canonical listing of the last desired rules is kept between processes (a lab
/// node's state directory), so a later <c>netlab plan</c> does not load 100k rules into a scratch namespace again.</param>
/// <param name="ledger">The process's record of its own nf_tables moves (<see cref="GenerationLedger"/>), shared with the
/// service-rules engine of the same kernel, so a policy write does not cost that engine a full read.</param>
public sealed class PolicyRulesApplier(RuleBackend backend, string? netns, ProcessRunner? runner = null, TimeSpan? timeout = null, string? cacheDirectory = null,
    GenerationLedger? ledger = null)
{
    private readonly ProcessRunner _run = (runner ?? ProcessRunner.Default).WithTimeout(timeout ?? TimeSpan.FromSeconds(60),
        "whether another iptables/nft process holds the lock or is hung (ps -ef | grep -E 'iptables|nft')");

    private static readonly ConcurrentDictionary<string, IReadOnlyList<string>> Canonical = new(StringComparer.Ordinal);
    private const int MaxRemembered = 64; // a few per node of a lab (its current and previous rules)

    private string Variant => backend == RuleBackend.IptablesLegacy ? "legacy" : "nft";

    /// <summary>What applying <paramref name="table"/> would change now; no changes when the kernel already holds it.</summary>
    public async Task<RulePlan> PlanAsync(PolicyTable table, PolicyNode node, CancellationToken ct = default)
    {
        if (backend == RuleBackend.Nftables)
        {
            var desiredTable = PolicyNftCompiler.Compile(table, node);
            var wanted = desiredTable is null ? [] : await CanonicalAsync("nft -f - && nft list table ip " + PolicyChainNames.NftTable, desiredTable, ct).ConfigureAwait(false);
            var listing = await RunAsync("nft", ["list", "table", "ip", PolicyChainNames.NftTable], null, mayFail: true, ct).ConfigureAwait(false);
            var kernel = listing.Succeeded ? Lines(listing.StandardOutput) : [];
            return Plan(wanted, kernel, PolicyNftCompiler.ReplaceScript(desiredTable));
        }
        var rules = PolicyIptablesCompiler.Compile(table, node);
        var desired = rules.IsEmpty ? [] : await CanonicalAsync($"iptables-{Variant}-restore && iptables-{Variant}-save -t filter",
            PolicyIptablesCompiler.RestorePayload(rules, [], 0), ct).ConfigureAwait(false);
        var save = await RunAsync($"iptables-{Variant}-save", ["-t", "filter"], null, mayFail: false, ct).ConfigureAwait(false);
        var (chains, jumps, ours) = ReadIptables(save.StandardOutput);
        var have = ours.Concat(Enumerable.Repeat(PolicyIptablesRules.Jump, jumps)).ToList();
        return Plan(desired, have, PolicyIptablesCompiler.RestorePayload(rules, chains, jumps));
    }

    /// <summary>Plans, and applies the plan's one transaction when there is anything to change.</summary>
    public async Task<RulePlan> SyncAsync(PolicyTable table, PolicyNode node, CancellationToken ct = default)
    {
        var plan = await PlanAsync(table, node, ct).ConfigureAwait(false);
        if (plan.HasChanges)
            await ApplyAsync(plan, ct).ConfigureAwait(false);
        return plan;
    }

    public async Task ApplyAsync(RulePlan plan, CancellationToken ct = default)
    {
        Task Write() => RunAsync(ApplyCommand.Program, ApplyCommand.Arguments, plan.Script, mayFail: false, ct);
        if (ledger is null || backend == RuleBackend.IptablesLegacy)
        {
            await Write().ConfigureAwait(false);
            return;
        }
        var transactions = backend == RuleBackend.Nftables ? 1u : (uint)Iptables.IptablesPlanner.TransactionCount(plan.Script);
        await ledger.WriteAsync("NetworkPolicy rules", () => NfTablesGeneration.Read(netns is null ? null : "/run/netns/" + netns),
            transactions, Write, ct).ConfigureAwait(false);
    }

    /// <summary>The command that applies a plan's script from its standard input (outside the node's namespace).</summary>
    public (string Program, string[] Arguments) ApplyCommand => backend == RuleBackend.Nftables
        ? ("nft", ["-f", "-"])
        : ($"iptables-{Variant}-restore", ["--wait", "10", "--noflush"]);

    /// <summary>Removes every policy rule of the node (nothing to do when there is none).</summary>
    public Task<RulePlan> RemoveAsync(PolicyNode node, CancellationToken ct = default) => SyncAsync(PolicyTable.Empty, node, ct);

    private RulePlan Plan(IReadOnlyList<string> desired, IReadOnlyList<string> kernel, string script)
    {
        var changes = kernel.Except(desired).Select(l => new RuleChange(RuleChangeKind.Remove, l))
            .Concat(desired.Except(kernel).Select(l => new RuleChange(RuleChangeKind.Add, l))).ToList();
        if (changes.Count == 0 && !desired.SequenceEqual(kernel))
            changes.Add(new RuleChange(RuleChangeKind.Add, "rules in the order the policies give (the kernel holds them reordered or twice)"));
        return new RulePlan(backend, netns, changes, script, FullSync: true);
    }

    /// <summary>The NETLAB-POL- chains the kernel holds, how many FORWARD jumps into them, and their rules in order.</summary>
    internal static (List<string> Chains, int Jumps, List<string> Rules) ReadIptables(string save)
    {
        var lines = Lines(save);
        var chains = lines.Where(l => l.StartsWith(":" + PolicyChainNames.Prefix, StringComparison.Ordinal)).Select(l => l[1..l.IndexOf(' ', StringComparison.Ordinal)]).ToList();
        var jumps = lines.Count(l => l == PolicyIptablesRules.Jump);
        var rules = lines.Where(l => l.StartsWith("-A " + PolicyChainNames.Prefix, StringComparison.Ordinal)).ToList();
        return (chains, jumps, rules);
    }

    private async Task<IReadOnlyList<string>> CanonicalAsync(string script, string payload, CancellationToken ct)
    {
        var key = script + "\n" + payload;
        if (Canonical.TryGetValue(key, out var known))
            return known;
        var file = cacheDirectory is null ? null
            : Path.Combine(cacheDirectory, $"canonical-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))[..16]}.txt");
        if (file is not null && File.Exists(file))
            return Remember(key, await File.ReadAllLinesAsync(file, ct).ConfigureAwait(false));
        var listing = await _run.RunAsync("unshare", ["--net", "--", "sh", "-c", script], payload,
            hint: "unshare (util-linux), nft and iptables must be installed", cancellationToken: ct).ConfigureAwait(false);
        var lines = backend == RuleBackend.Nftables ? Lines(listing.StandardOutput) : ReadIptables(listing.StandardOutput) is var (_, jumps, rules)
            ? [.. rules, .. Enumerable.Repeat(PolicyIptablesRules.Jump, jumps)] : [];
        Remember(key, lines);
        if (file is not null)
        {
            Directory.CreateDirectory(cacheDirectory!);
            foreach (var old in Directory.GetFiles(cacheDirectory!, "canonical-*.txt"))
                File.Delete(old); // only the latest desired rules are worth keeping
            await File.WriteAllLinesAsync(file, lines, ct).ConfigureAwait(false);
        }
        return lines;
    }

    /// <summary>
    /// Keeps a listing for the next plan of the same rules. Bounded: a netlab-proxy that runs for weeks through many
    /// policy changes would otherwise keep every ruleset it ever wanted; a cleared cache costs one scratch load each.
    /// </summary>
    private static IReadOnlyList<string> Remember(string key, IReadOnlyList<string> lines)
    {
        if (Canonical.Count >= MaxRemembered)
            Canonical.Clear();
        return Canonical[key] = lines;
    }

    private static List<string> Lines(string text) =>
        [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => !l.StartsWith('#'))];

    private async Task<CommandResult> RunAsync(string program, string[] arguments, string? stdin, bool mayFail, CancellationToken ct)
    {
        var (file, argv) = NetnsExec.Wrap(netns, program, arguments);
        return mayFail
            ? await _run.TryRunAsync(file, argv, stdin, cancellationToken: ct).ConfigureAwait(false)
            : await _run.RunAsync(file, argv, stdin, hint: netns is null ? null : $"check that network namespace '{netns}' exists (ip netns list)", cancellationToken: ct).ConfigureAwait(false);
    }
}
