using System.Diagnostics;
using Provisioner.Host.Netlink;
using Provisioner.Host.Processes;
using Provisioner.ServiceRules.Iptables;
using Provisioner.ServiceRules.Model;

namespace Provisioner.ServiceRules.Applying;

/// <summary>Tuning of a <see cref="ServiceRulesEngine"/>; the defaults suit a proxy and <c>netlab up</c>.</summary>
public sealed record ServiceRulesEngineOptions
{
    public ProcessRunner Runner { get; init; } = ProcessRunner.Default;

    /// <summary>The limit of one iptables/nft command (a <see cref="CommandTimedOutException"/> past it).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Where the last-applied state is kept between processes (e.g. /run/netlab/LAB/nodes/NODE/service-rules.state);
    /// null keeps it in memory only. Only an nf_tables backend uses it, and only while the kernel's generation proves it.
    /// </summary>
    public string? StateFile { get; init; }

    /// <summary>iptables-legacy has no generation: its last-applied state is trusted this long after a kernel read
    /// (kube-proxy's periodic full resync), then the kernel is read again.</summary>
    public TimeSpan LegacyFullSyncPeriod { get; init; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// The long-lived service-rules engine of one node (one network namespace), shaped like kube-proxy's proxier: each
/// <see cref="SyncAsync"/> compiles the desired table, diffs it against the last-applied state held in memory (a partial
/// sync, no kernel read) when the kernel proves nothing changed since, and otherwise reads the kernel and diffs against
/// that (a full sync, which repairs any hand-made change). The proof is the nf_tables generation (iptables-nft and
/// nftables): the engine records it after each read and apply, and trusts its state only while the kernel still reports
/// it. iptables-legacy has no such proof, so its state is trusted within this engine for
/// <see cref="ServiceRulesEngineOptions.LegacyFullSyncPeriod"/>. <see cref="RequestFullSync"/> forces the next sync to read.
/// With a state file the proof carries across processes. Syncs are serialized; one engine per node.
/// </summary>
public sealed class ServiceRulesEngine : IDisposable
{
    private readonly RuleCommands _commands;
    private readonly ServiceRulesEngineOptions _options;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Known? _known;
    private bool _fullSyncRequested;
    private (ServiceTable Table, NodeContext Node, DesiredRules Desired)? _compiled;

    public ServiceRulesEngine(RuleBackend backend, string? netns = null, ServiceRulesEngineOptions? options = null)
    {
        Backend = backend;
        Netns = netns;
        _options = options ?? new ServiceRulesEngineOptions();
        _commands = new RuleCommands(backend, netns, _options.Runner, _options.CommandTimeout);
    }

    public RuleBackend Backend { get; }

    public string? Netns { get; }

    /// <summary>The next sync reads the kernel and diffs against it, whatever the engine remembers.</summary>
    public void RequestFullSync() => _fullSyncRequested = true;

    /// <summary>What <see cref="SyncAsync"/> would change now, without changing anything (a partial or full plan, as a
    /// sync would make it). Throws <see cref="Validation.InvalidServiceTableException"/> for a bad table.</summary>
    public Task<SyncResult> PlanAsync(ServiceTable table, NodeContext node, CancellationToken cancellationToken = default) =>
        RunAsync(Target.Of(table, node, () => Compile(table, node)), apply: false, cancellationToken);

    /// <summary>Converges the node to <paramref name="table"/>: plans (partial or full) and runs the plan if it has changes.</summary>
    public Task<SyncResult> SyncAsync(ServiceTable table, NodeContext node, CancellationToken cancellationToken = default) =>
        RunAsync(Target.Of(table, node, () => Compile(table, node)), apply: true, cancellationToken);

    /// <summary>Deletes every NETLAB chain, the jumps into them and the netlab table, and forgets the state.</summary>
    public async Task<SyncResult> RemoveAsync(CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(new Target(TableFingerprint.Nothing, [], () => DesiredRules.Nothing(Backend)), apply: true, cancellationToken).ConfigureAwait(false);
        Forget();
        return result;
    }

    private async Task<SyncResult> RunAsync(Target target, bool apply, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var (known, kind, basis, read) = await PrepareAsync(target, ct).ConfigureAwait(false);
            if (kind == SyncKind.Partial && known.Fingerprint == target.Fingerprint)
                return new SyncResult(new RulePlan(Backend, Netns, [], "", false), kind, basis + "; the table is the one last applied",
                    false, read, TimeSpan.Zero, target.DnsOnly, known.Generation);
            var desired = target.Compile();
            var plan = desired.PlanFrom(known.Rules.Value, Netns);
            if (!plan.HasChanges || !apply)
            {
                if (!plan.HasChanges && apply)
                    Remember(known with { Fingerprint = target.Fingerprint });
                return new SyncResult(plan, kind, basis, false, read, TimeSpan.Zero, desired.DnsOnly, known.Generation);
            }
            var clock = Stopwatch.StartNew();
            var generation = await ApplyAsync(plan, known, ct).ConfigureAwait(false);
            var applied = clock.Elapsed;
            Remember(new Known(new Lazy<KnownRules>(desired.AfterApply()), generation, known.ReadAt, target.Fingerprint));
            return new SyncResult(plan, kind, basis, true, read, applied, desired.DnsOnly, generation);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Runs the plan; returns the generation it leaves, if the kernel proves only this plan moved it.</summary>
    private async Task<NfTablesGeneration?> ApplyAsync(RulePlan plan, Known known, CancellationToken ct)
    {
        var before = _commands.ReadGeneration();
        try
        {
            if (Backend == RuleBackend.Nftables)
                await _commands.RunNftAsync(plan.Script, checkOnly: false, ct).ConfigureAwait(false);
            else
                await _commands.RestoreIptablesAsync(plan.Script, testOnly: false, ct).ConfigureAwait(false);
        }
        catch
        {
            Forget(); // partly applied or not at all: only a read can tell
            throw;
        }
        var after = _commands.ReadGeneration();
        var transactions = Backend == RuleBackend.Nftables ? 1u : (uint)IptablesPlanner.TransactionCount(plan.Script);
        return known.Generation is { } g && before == g && after is { } a && a.Namespace == g.Namespace && a.Id == g.Id + transactions ? after : null;
    }

    /// <summary>The kernel's state as far as it can be proven: remembered (partial), or read (full).</summary>
    private async Task<(Known, SyncKind, string, TimeSpan)> PrepareAsync(Target target, CancellationToken ct)
    {
        var reason = _fullSyncRequested ? "a full sync was requested" : null;
        if (reason is null && (_known ?? Load()) is { } remembered)
        {
            var (trusted, why) = Trust(remembered);
            if (trusted)
            {
                _known = remembered;
                return (remembered, SyncKind.Partial, why, TimeSpan.Zero);
            }
            reason = why;
        }
        var clock = Stopwatch.StartNew();
        var before = _commands.ReadGeneration();
        var (rules, after) = await KnownRules.ReadAsync(_commands, target.Compile(), ct).ConfigureAwait(false);
        _known = new Known(new Lazy<KnownRules>(rules), before == after ? after : null, DateTime.UtcNow, null);
        _fullSyncRequested = false;
        return (_known, SyncKind.Full, "read the kernel: " + (reason ?? "no last-applied state"), clock.Elapsed);
    }

    private (bool Trusted, string Why) Trust(Known known)
    {
        if (!_commands.HasGeneration)
            return DateTime.UtcNow - known.ReadAt < _options.LegacyFullSyncPeriod
                ? (true, $"last-applied state (iptables-legacy has no generation; the kernel was read {(DateTime.UtcNow - known.ReadAt).TotalSeconds:0} s ago)")
                : (false, $"the last read is older than {_options.LegacyFullSyncPeriod.TotalSeconds:0} s");
        if (known.Generation is not { } recorded)
            return (false, "the last sync could not prove the kernel's state (another change interleaved)");
        var now = _commands.ReadGeneration();
        return now == recorded
            ? (true, $"last-applied state, nf_tables generation {recorded.Id} unchanged")
            : now?.Namespace != recorded.Namespace
                ? (false, "the network namespace is not the one the last-applied state was proven in")
                : (false, $"nf_tables generation moved from {recorded.Id} to {now?.Id}: something else changed the rules");
    }

    /// <summary>The desired rules of the last table compiled, reused when the caller passes the same table again.</summary>
    private DesiredRules Compile(ServiceTable table, NodeContext node)
    {
        if (_compiled is { } c && ReferenceEquals(c.Table, table) && c.Node == node)
            return c.Desired;
        var desired = DesiredRules.Of(Backend, table, node);
        _compiled = (table, node, desired);
        return desired;
    }

    private Known? Load()
    {
        if (_options.StateFile is not { } file || !_commands.HasGeneration || !File.Exists(file))
            return null;
        return KnownRules.FromStateText(File.ReadAllText(file), Backend) is { } state
            ? new Known(state.Rules, state.Generation, DateTime.MinValue, state.Fingerprint)
            : null;
    }

    /// <summary>Keeps the state, and writes the state file when it carries a proof (else removes it: the next process reads).</summary>
    private void Remember(Known known)
    {
        _known = known;
        if (_options.StateFile is not { } file || !_commands.HasGeneration)
            return;
        if (known.Generation is not { } generation)
        {
            File.Delete(file);
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        var temporary = file + ".tmp";
        File.WriteAllText(temporary, known.Rules.Value.ToStateText(Backend, generation, known.Fingerprint));
        File.Move(temporary, file, overwrite: true);
    }

    private void Forget()
    {
        _known = null;
        _compiled = null;
        if (_options.StateFile is { } file)
            File.Delete(file);
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>What the kernel holds, the generation that proves it (nf_tables), when it was last read, and the
    /// fingerprint of the table it was compiled from (null: read from the kernel, compiled from nothing known).</summary>
    private sealed record Known(Lazy<KnownRules> Rules, NfTablesGeneration? Generation, DateTime ReadAt, string? Fingerprint);

    /// <summary>What a sync converges to: its fingerprint and DNS-only services (cheap), and its rules (compiled only when needed).</summary>
    private sealed record Target(string Fingerprint, IReadOnlyList<string> DnsOnly, Func<DesiredRules> Compile)
    {
        public static Target Of(ServiceTable table, NodeContext node, Func<DesiredRules> compile)
        {
            ArgumentNullException.ThrowIfNull(table);
            ArgumentNullException.ThrowIfNull(node);
            return new(TableFingerprint.Of(table, node), [.. table.Services.Where(s => s.IsDnsOnly).Select(s => s.Key)], compile);
        }
    }
}
