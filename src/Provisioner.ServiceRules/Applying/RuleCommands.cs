using System.Collections.Concurrent;
using Provisioner.Host.Netlink;
using Provisioner.Host.Processes;
using Provisioner.ServiceRules.Nftables;
using Provisioner.Host.Iproute;

namespace Provisioner.ServiceRules.Applying;

/// <summary>
/// The programs each backend runs, optionally inside a network namespace (<c>ip netns exec NS ...</c>), every call
/// bounded in time. iptables programs are named explicitly (iptables-nft-*, iptables-legacy-*) rather than through the
/// distribution's alternatives link, so the backend is what the caller chose.
/// </summary>
internal sealed class RuleCommands(RuleBackend backend, string? netns, ProcessRunner unbounded, TimeSpan timeout)
{
    private readonly ProcessRunner runner = unbounded.WithTimeout(timeout,
        "whether another iptables/nft process holds the lock or is hung (ps -ef | grep -E 'iptables|nft'), " +
        "and how many rules the node holds (a very large ruleset is slow to list)");

    private string Variant => backend == RuleBackend.IptablesLegacy ? "legacy" : "nft";

    public Task<CommandResult> SaveIptablesAsync(CancellationToken ct) => RunAsync($"iptables-{Variant}-save", [], null, ct);

    /// <summary>--wait: another writer holding the xtables lock (kubelet, a CNI plugin) delays us instead of failing us.</summary>
    public Task<CommandResult> RestoreIptablesAsync(string payload, bool testOnly, CancellationToken ct) =>
        RunAsync($"iptables-{Variant}-restore", testOnly ? ["--wait", "10", "--test", "--noflush"] : ["--wait", "10", "--noflush"], payload, ct);

    /// <summary>
    /// A plan's iptables payload. A legacy first sync (<see cref="RulePlan.IptablesFirstLoad"/>) is written as x_tables images
    /// when the tables are empty (<see cref="LegacyDirectLoad"/>), else by the tool. NETLAB_LEGACY_DIRECT=0 always
    /// uses the tool (for A/B benches). Returns what wrote it, and why not the replace when the tool did.
    /// </summary>
    public async Task<string> RestoreIptablesPlanAsync(RulePlan plan, CancellationToken ct)
    {
        var tool = $"iptables-{Variant}-restore";
        string? why = null;
        if (backend == RuleBackend.IptablesLegacy && plan.IptablesFirstLoad is { } desired)
        {
            if (Environment.GetEnvironmentVariable("NETLAB_LEGACY_DIRECT") == "0")
                why = "NETLAB_LEGACY_DIRECT=0";
            else
            {
                var (reason, encode, replace, bytes) = await Task.Run(() => LegacyDirectLoad.TryLoadTimed(desired, NetnsPath, TimeSpan.FromSeconds(10)), ct).ConfigureAwait(false);
                if (reason is null)
                    return $"{LegacyDirectLoad.Writer}: read and encode {encode.TotalMilliseconds:0} ms, kernel {replace.TotalMilliseconds:0} ms, {bytes / 1e6:0.0} MB";
                why = reason;
            }
        }
        await RestoreIptablesAsync(plan.Script, testOnly: false, ct).ConfigureAwait(false);
        return why is null ? tool : $"{tool} ({why})";
    }

    /// <summary>Lists the netlab table; a missing table is not an error (exit code 1, "No such file or directory").</summary>
    public Task<CommandResult> ListNftTableAsync(CancellationToken ct) =>
        TryRunAsync("nft", ["list", "table", "ip", "netlab"], null, ct);

    /// <summary>The ip family's tables without set elements. nft 1.0.6 still fetches every element for
    /// <c>nft -t list table</c> (only not printing them); for <c>list ruleset</c> it fetches none.</summary>
    public Task<CommandResult> ListNftRulesetTerseAsync(CancellationToken ct) =>
        TryRunAsync("nft", ["-t", "list", "ruleset", "ip"], null, ct);

    /// <summary>Lists one set or map of the netlab table (<paramref name="kind"/>: set or map), elements included.</summary>
    public Task<CommandResult> ListNftSetAsync(string kind, string set, CancellationToken ct) =>
        TryRunAsync("nft", ["list", kind, "ip", NftRuleset.TableName, set], null, ct);

    /// <summary>The namespace's file (/run/netns/NAME), for what enters it over netlink; null: this process's namespace.</summary>
    public string? NetnsPath => netns is null ? null : "/run/netns/" + netns;

    /// <summary>Deletes the netlab table; a missing table is not an error.</summary>
    public Task<CommandResult> DeleteNftTableAsync(CancellationToken ct) =>
        TryRunAsync("nft", ["delete", "table", "ip", NftRuleset.TableName], null, ct);

    public Task<CommandResult> RunNftAsync(string script, bool checkOnly, CancellationToken ct) =>
        RunAsync("nft", checkOnly ? ["-c", "-f", "-"] : ["-f", "-"], script, ct);

    /// <summary>A plan's nft transactions: a first load (<see cref="NftFirstLoad"/>) in its ordered transactions,
    /// anything else the plan's one nft -f.</summary>
    public Task RunNftPlanAsync(RulePlan plan, NftFirstLoad? firstLoad, CancellationToken ct) =>
        firstLoad is null ? RunNftAsync(plan.Script, checkOnly: false, ct) : firstLoad.RunAsync(this, ct);

    /// <summary>Whether the backend's rules live in nf_tables, whose generation proves them unchanged.</summary>
    public bool HasGeneration => backend != RuleBackend.IptablesLegacy;

    /// <summary>The nf_tables generation of the namespace (see <see cref="NfTablesGeneration"/>); null for iptables-legacy.</summary>
    public NfTablesGeneration? ReadGeneration() => HasGeneration ? NfTablesGeneration.Read(NetnsPath) : null;

    private static readonly ConcurrentDictionary<string, NftSkeleton> Canonical = new(StringComparer.Ordinal);

    /// <summary>
    /// The desired skeleton as this nft lists it, learned once per skeleton: the skeleton alone (no elements) is loaded
    /// into a private network namespace that lives only as long as the command (unshare --net), listed there, and gone.
    /// Nothing is committed where the rules live, so the node's nf_tables generation does not move.
    /// </summary>
    public async Task<NftSkeleton> CanonicalSkeletonAsync(NftRuleset desired, CancellationToken ct)
    {
        if (Canonical.TryGetValue(desired.SkeletonHash, out var known))
            return known;
        var listing = await runner.RunAsync("unshare", ["--net", "--", "sh", "-c", "nft -f - && nft list table ip " + NftRuleset.TableName],
            desired.ProbeScript(NftRuleset.TableName), hint: "unshare (util-linux) and nft must be installed", cancellationToken: ct).ConfigureAwait(false);
        var skeleton = NftListingParser.Parse(listing.StandardOutput).Skeleton!;
        Canonical[desired.SkeletonHash] = skeleton;
        return skeleton;
    }

    /// <summary>The time limit is the runner's: past it the command is killed and a <see cref="CommandTimedOutException"/> names it.</summary>
    private Task<CommandResult> RunAsync(string program, string[] arguments, string? stdin, CancellationToken ct)
    {
        var (file, argv) = Wrap(program, arguments);
        return runner.RunAsync(file, argv, stdin, hint: Hint(program), cancellationToken: ct);
    }

    private Task<CommandResult> TryRunAsync(string program, string[] arguments, string? stdin, CancellationToken ct)
    {
        var (file, argv) = Wrap(program, arguments);
        return runner.TryRunAsync(file, argv, stdin, cancellationToken: ct);
    }

    private (string File, string[] Arguments) Wrap(string program, string[] arguments) =>
        NetnsExec.Wrap(netns, program, arguments);

    private string? Hint(string program) => netns is not null
        ? $"check that network namespace '{netns}' exists (ip netns list) and that {program} is installed"
        : null;
}
