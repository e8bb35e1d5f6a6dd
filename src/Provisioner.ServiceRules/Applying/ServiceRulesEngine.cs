using System.Diagnostics;
using Provisioner.Host.Netlink;
using Provisioner.Host.Processes;
using Provisioner.ServiceRules.Incremental;
using Provisioner.ServiceRules.Iptables;
using Provisioner.ServiceRules.Model;

namespace Provisioner.ServiceRules.Applying;

/// <summary>Tuning of a <see cref="ServiceRulesEngine"/>; the defaults suit a proxy and <c>netlab up</c>.</summary>
public sealed record ServiceRulesEngineOptions
{
    public ProcessRunner Runner { get; init; } = ProcessRunner.Default;

    /// <summary>The limit of one iptables/nft command (a <see cref="CommandTimedOutException"/> past it).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>iptables-nft: a first sync into tables without netlab chains written as one nf_tables batch over netlink
    /// instead of by iptables-nft-restore (<see cref="IptablesDirectLoad"/>). False: always the tool.</summary>
    public bool DirectIptablesLoad { get; init; } = true;

    /// <summary>
    /// Where the last-applied state is kept between processes (e.g. /run/netlab/LAB/nodes/NODE/service-rules.state);
    /// null keeps it in memory only. Only an nf_tables backend uses it, and only while the kernel's generation proves it.
    /// </summary>
    public string? StateFile { get; init; }

    /// <summary>iptables-legacy has no generation: its last-applied state is trusted this long after a kernel read
    /// (kube-proxy's periodic full resync), then the kernel is read again.</summary>
    public TimeSpan LegacyFullSyncPeriod { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The process's record of the generations it moved itself, shared with the other writers of the same
    /// kernel in this process (netlab-proxy's policy applier): their own writes then do not cost this engine a full read.
    /// Null: the engine's own, shared with nobody.</summary>
    public GenerationLedger? Ledger { get; init; }
}

/// <summary>
/// The long-lived service-rules engine of one node (one network namespace), shaped like kube-proxy's proxier: each
/// <see cref="SyncAsync"/> compiles the desired table, diffs it against the last-applied state held in memory (a partial
/// sync, no kernel read) when the kernel proves nothing changed since, and otherwise reads the kernel and diffs against
/// that (a full sync, which repairs any hand-made change). The proof is the nf_tables generation (iptables-nft and
/// nftables): the engine records it after each read and apply, and trusts its state only while the kernel still reports
/// it. iptables-legacy has no such proof, so its state is trusted within this engine for
/// <see cref="ServiceRulesEngineOptions.LegacyFullSyncPeriod"/>. <see cref="RequestFullSync"/> forces the next sync to read.
/// With a state file the proof carries across processes. Syncs are serialized; one engine per node. Writes of other
/// controllers of the same process (<see cref="ServiceRulesEngineOptions.Ledger"/>) keep the proof: a generation moved only
/// by them is trusted, anything else is read.
/// <para>
/// Compiles are incremental, as kube-proxy's: the engine keeps the last applied table compiled service by service
/// (<see cref="CompiledTable"/>) and finds the services a new table changed (the same object, as netlab-proxy's tracker
/// passes an unchanged service, is unchanged; another object is compared by hash). A partial sync validates, compiles and
/// diffs only those services, and gives exactly the plan a diff of the two whole rulesets would.
/// </para>
/// </summary>
public sealed class ServiceRulesEngine : IDisposable
{
    private readonly RuleCommands _commands;
    private readonly ServiceRulesEngineOptions _options;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly GenerationLedger _ledger;
    private readonly bool _ownsLedger;
    private Known? _known;
    private bool _fullSyncRequested;
    private CompiledTable? _compiled;
    private (ServiceTable Table, TableDelta Delta, int Version)? _lastDelta;
    private bool _compiledFileTried;
    private string? _unreadCompiledFile; // the fingerprint of the state whose compiled services file this process left unread
    private (int Version, long Length, long Whole)? _compiledFile; // the compiled services file on disk is the compiled table at Version

    public ServiceRulesEngine(RuleBackend backend, string? netns = null, ServiceRulesEngineOptions? options = null)
    {
        Backend = backend;
        Netns = netns;
        _options = options ?? new ServiceRulesEngineOptions();
        _ownsLedger = _options.Ledger is null;
        _ledger = _options.Ledger ?? new GenerationLedger();
        _commands = new RuleCommands(backend, netns, _options.Runner, _options.CommandTimeout);
    }

    public RuleBackend Backend { get; }

    public string? Netns { get; }

    /// <summary>The next sync reads the kernel and diffs against it, whatever the engine remembers.</summary>
    public void RequestFullSync() => _fullSyncRequested = true;

    /// <summary>What <see cref="SyncAsync"/> would change now, without changing anything (a partial or full plan, as a
    /// sync would make it). Throws <see cref="Validation.InvalidServiceTableException"/> for a bad table.</summary>
    public Task<SyncResult> PlanAsync(ServiceTable table, NodeContext node, CancellationToken cancellationToken = default) =>
        RunAsync(() => TargetFor(table, node), apply: false, cancellationToken);

    /// <summary>
    /// The fingerprint of the table the kernel provably still holds, from the state file alone: the one it names, while
    /// the namespace's nf_tables generation is still the one the state was proven at (null: no state, no generation, a
    /// full sync requested, or anything changed the rules since). Lets a caller that can prove its table is the one it
    /// gave last time skip building and hashing it.
    /// </summary>
    public string? ProvenFingerprint()
    {
        if (_fullSyncRequested || !_commands.HasGeneration || StateHeader() is not { Fingerprint: { } fingerprint } state)
            return null;
        return _commands.ReadGeneration() == state.Generation ? fingerprint : null;
    }

    /// <summary>Converges the node to <paramref name="table"/>: plans (partial or full) and runs the plan if it has changes.</summary>
    public Task<SyncResult> SyncAsync(ServiceTable table, NodeContext node, CancellationToken cancellationToken = default) =>
        RunAsync(() => TargetFor(table, node), apply: true, cancellationToken);

    /// <summary>Deletes every NETLAB chain, the jumps into them and the netlab table, and forgets the state.</summary>
    public async Task<SyncResult> RemoveAsync(CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(() => new Target(TableFingerprint.Nothing, [], () => DesiredRules.Nothing(Backend), null), apply: true, cancellationToken).ConfigureAwait(false);
        Forget();
        _compiled = null;
        _compiledFile = null;
        if (CompiledFilePath is { } path)
            File.Delete(path);
        return result;
    }

    private async Task<SyncResult> RunAsync(Func<Target> targetOf, bool apply, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var target = targetOf();
            var (known, kind, basis, read) = await PrepareAsync(target, ct).ConfigureAwait(false);
            if (kind == SyncKind.Partial && known.Fingerprint == target.Fingerprint)
                return new SyncResult(new RulePlan(Backend, Netns, [], "", false), kind, basis + "; the table is the one last applied",
                    false, read, TimeSpan.Zero, target.DnsOnly, known.Generation);
            var plan = kind == SyncKind.Partial && target.Delta is { } delta && known.Matches(delta.Base) ? delta.PlanPartial(Netns) : null;
            plan ??= target.Compile().PlanFrom(known.Rules.Value, Netns);
            if (!plan.HasChanges || !apply)
            {
                if (!plan.HasChanges && apply)
                    Converged(target, known.Generation, known.ReadAt);
                return new SyncResult(plan, kind, basis, false, read, TimeSpan.Zero, target.DnsOnly, known.Generation);
            }
            var clock = Stopwatch.StartNew();
            Prewritten? prewritten = null;
            NfTablesGeneration? generation;
            string writer;
            try
            {
                (generation, writer) = await ApplyAsync(plan, known, () => prewritten = PrewriteCompiled(target), ct).ConfigureAwait(false);
            }
            catch
            {
                if (await WrittenAsync(prewritten).ConfigureAwait(false) is { } unused)
                    File.Delete(unused.Path);
                throw;
            }
            var applied = clock.Elapsed;
            // before the commit, which reads the services the writer reads (their claims are computed on first use)
            Converged(target, generation, known.ReadAt, await WrittenAsync(prewritten).ConfigureAwait(false));
            return new SyncResult(plan, kind, basis, true, read, applied, target.DnsOnly, generation)
                { AppliedFrom = generation is null ? null : known.Generation, Writer = writer }; // ApplyAsync proves a generation only from known's
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The kernel holds the target now: its delta becomes the compiled table, which is what the engine remembers.</summary>
    private void Converged(Target target, NfTablesGeneration? generation, DateTime readAt, Prewritten? prewritten = null)
    {
        if (target.Delta is not { } delta)
        {
            var desired = target.Compile();
            Remember(new Known(new Lazy<KnownRules>(desired.AfterApply), generation, readAt, target.Fingerprint));
            return;
        }
        var changes = delta.Changes;
        var versionBefore = delta.Base.Version;
        delta.Commit();
        var compiled = delta.Base;
        var version = compiled.Version;
        SaveCompiled(compiled, changes, versionBefore, prewritten);
        var assembled = delta.Assembled; // a full sync assembled the rules the commit now holds: no second assembly
        Remember(new Known(new Lazy<KnownRules>(() => compiled.Version == version
                ? (assembled ?? compiled.Assembled()).AfterApply()
                : throw new InvalidOperationException("the compiled table moved on since this state was remembered (a netlab bug)")),
            generation, readAt, target.Fingerprint, compiled, version));
    }

    /// <summary>Runs the plan; returns the generation it leaves, if the kernel proves only this plan moved it.
    /// <paramref name="beforeWrite"/> runs once the plan is ready to write (a direct load encoded, on both cores), just
    /// before the kernel or its tool takes over.</summary>
    private async Task<(NfTablesGeneration?, string)> ApplyAsync(RulePlan plan, Known known, Action beforeWrite, CancellationToken ct)
    {
        var firstLoad = Backend == RuleBackend.Nftables && plan.FirstLoad is { } table ? new NftFirstLoad(table) : null;
        // an iptables-nft first sync into tables without netlab chains: one nf_tables batch, not the tool
        var direct = Backend == RuleBackend.Iptables && _options.DirectIptablesLoad && plan.IptablesFirstLoad is { } ruleset ? IptablesDirectLoad.TryCreate(ruleset, _commands.NetnsPath) : null;
        var transactions = firstLoad?.Transactions ?? (Backend == RuleBackend.Nftables || direct is not null ? 1u
            : _commands.HasGeneration ? (uint)IptablesPlanner.TransactionCount(plan.Script) : 0u); // legacy: no generation to prove, and no script to build
        GenerationMove move;
        var writer = "nft";
        beforeWrite();
        try
        {
            move = await _ledger.WriteAsync("service rules", _commands.ReadGeneration, transactions, async () =>
            {
                if (Backend == RuleBackend.Nftables)
                    await _commands.RunNftPlanAsync(plan, firstLoad, ct).ConfigureAwait(false);
                else if (direct is not null)
                    writer = await Task.Run(() => direct.Run(_commands.NetnsPath), CancellationToken.None).ConfigureAwait(false);
                else
                    writer = await _commands.RestoreIptablesPlanAsync(plan, ct).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
        }
        catch
        {
            Forget(); // partly applied or not at all: only a read can tell
            throw;
        }
        // proven: the kernel held known's rules when this apply began (nothing but this process's own writes since) and
        // the apply alone moved it
        return (move.Own && known.Generation is { } g && _ledger.Proves(g, move.Before!.Value, out _) ? move.After : null, writer);
    }

    /// <summary>The kernel's state as far as it can be proven: remembered (partial), or read (full).</summary>
    private async Task<(Known, SyncKind, string, TimeSpan)> PrepareAsync(Target target, CancellationToken ct)
    {
        var reason = _fullSyncRequested ? "a full sync was requested" : null;
        if (reason is null && (_known ?? Load()) is { } remembered)
        {
            var (trusted, why) = Trust(remembered);
            if (trusted is not null)
            {
                _known = trusted;
                return (trusted, SyncKind.Partial, why, TimeSpan.Zero);
            }
            reason = why;
        }
        var clock = Stopwatch.StartNew();
        var before = _commands.ReadGeneration();
        var (rules, after) = await KnownRules.ReadAsync(_commands, Backend, target.Compile, ct).ConfigureAwait(false);
        // proven when nothing but this process's own writes (of other rules: the policy applier's) came between the reads
        var proven = before is { } b && after is { } a && _ledger.Proves(b, a, out _) ? after : null;
        _known = new Known(new Lazy<KnownRules>(rules), proven, DateTime.UtcNow, null);
        _fullSyncRequested = false;
        return (_known, SyncKind.Full, "read the kernel: " + (reason ?? "no last-applied state"), clock.Elapsed);
    }

    /// <summary>The state to trust now (null: read the kernel), and why.</summary>
    private (Known? Trusted, string Why) Trust(Known known)
    {
        if (!_commands.HasGeneration)
            return DateTime.UtcNow - known.ReadAt < _options.LegacyFullSyncPeriod
                ? (known, $"last-applied state (iptables-legacy has no generation; the kernel was read {(DateTime.UtcNow - known.ReadAt).TotalSeconds:0} s ago)")
                : (null, $"the last read is older than {_options.LegacyFullSyncPeriod.TotalSeconds:0} s");
        if (known.Generation is not { } recorded)
            return (null, "the last sync could not prove the kernel's state (another change interleaved)");
        var now = _commands.ReadGeneration();
        if (now == recorded)
            return (known, $"last-applied state, nf_tables generation {recorded.Id} unchanged");
        if (now is not { } moved || moved.Namespace != recorded.Namespace)
            return (null, "the network namespace is not the one the last-applied state was proven in");
        return _ledger.Proves(recorded, moved, out var writers)
            ? (known with { Generation = moved }, $"last-applied state, nf_tables generation moved from {recorded.Id} to {moved.Id} " +
                $"by this process's own {string.Join(" and ", writers)} writes only")
            : (null, $"nf_tables generation moved from {recorded.Id} to {moved.Id}: something else changed the rules");
    }

    /// <summary>What a sync converges to: the services the table changes against the compiled table (a new compiled
    /// table for another node).</summary>
    private Target TargetFor(ServiceTable table, NodeContext node)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(node);
        if (_compiled is null && !_compiledFileTried && CompiledFilePath is { } path)
        {
            _compiledFileTried = true;
            _compiled = CompiledFromFile(path, table, node);
        }
        if (_compiled is null || _compiled.Node != node)
            _compiled = new CompiledTable(Backend, node);
        // netlab up plans, then syncs the same table: the second call reuses the first one's delta and compiled rules
        var delta = _lastDelta is { } last && ReferenceEquals(last.Table, table) && ReferenceEquals(last.Delta.Base, _compiled) && last.Version == _compiled.Version
            ? last.Delta
            : _compiled.Diff(table);
        _lastDelta = (table, delta, _compiled.Version);
        return new Target(delta.Fingerprint, delta.DnsOnly, delta.Assemble, delta);
    }

    /// <summary>
    /// The first sync of a process: what an earlier process compiled. The table is hashed first (against nothing): when
    /// its fingerprint is the state file's, nothing changed since and the file is not read (a no-op <c>netlab up</c>);
    /// otherwise the compiled services file's table, its unchanged services paired with the table's (hashed once).
    /// </summary>
    private CompiledTable? CompiledFromFile(string path, ServiceTable table, NodeContext node)
    {
        var fresh = new CompiledTable(Backend, node);
        var first = fresh.Diff(table);
        _lastDelta = (table, first, fresh.Version);
        if (StateHeader() is { Rules: null } state && state.Fingerprint == first.Fingerprint)
        {
            _unreadCompiledFile = first.Fingerprint;
            return fresh;
        }
        var compiled = CompiledTable.FromFile(path, Backend, node, (key, hash) =>
            first.Changes.GetValueOrDefault(key) is { } current && current.Hash == hash ? current.Service : null);
        _compiledFile = compiled?.File is { } file ? (compiled.Version, file.Length, file.Whole) : null;
        return compiled ?? fresh;
    }

    private (Lazy<KnownRules>? Rules, NfTablesGeneration Generation, string? Fingerprint)? StateHeader() =>
        _options.StateFile is { } file && _commands.HasGeneration && File.Exists(file) ? KnownRules.FromStateBytes(File.ReadAllBytes(file), Backend) : null;

    /// <summary>The state file's: its rules, or (when it says they are the compiled services file's) the compiled table
    /// read from that file, if its fingerprint is the one the state file names; else nothing (the kernel is read).</summary>
    private Known? Load()
    {
        if (StateHeader() is not { } state)
            return null;
        if (state.Rules is { } rules)
            return new Known(rules, state.Generation, DateTime.MinValue, state.Fingerprint);
        if (state.Fingerprint is { } unread && unread == _unreadCompiledFile && CompiledFilePath is { } path && _compiled?.Node is { } node)
            return new Known(new Lazy<KnownRules>(() => (CompiledTable.FromFile(path, Backend, node, ServiceTable.Empty) is { } read && read.Fingerprint == unread
                    ? read.Assembled()
                    : throw new InvalidOperationException("the compiled services file changed under this process; run the command again")).AfterApply()),
                state.Generation, DateTime.MinValue, unread); // the table is the state's: a no-op, unless the kernel moved (then it is read)
        if (_compiled is not { } compiled || _compiledFile?.Version != compiled.Version || compiled.Fingerprint != state.Fingerprint)
            return null;
        var version = compiled.Version;
        return new Known(new Lazy<KnownRules>(() => compiled.Version == version
                ? compiled.Assembled().AfterApply()
                : throw new InvalidOperationException("the compiled table moved on since this state was read (a netlab bug)")),
            state.Generation, DateTime.MinValue, state.Fingerprint, compiled, version);
    }

    /// <summary>The compiled services file (next to the state file), if the engine keeps state across processes.</summary>
    private string? CompiledFilePath => _options.StateFile is { } file ? Path.ChangeExtension(file, ".compiled") : null;

    /// <summary>Brings the compiled services file to the table just committed: the services the commit changed appended
    /// when the file is the table before it, else (or when the appended part outgrew the whole) the table written whole.
    /// A failure removes the file: the next process compiles everything.</summary>
    private void SaveCompiled(CompiledTable compiled, IReadOnlyDictionary<string, CompiledService?> changes, int versionBefore, Prewritten? prewritten)
    {
        if (CompiledFilePath is not { } path)
            return;
        try
        {
            if (prewritten is { } next)
            {
                if (next.Version == versionBefore && next.Fingerprint == compiled.Fingerprint)
                {
                    File.Move(next.Path, path, overwrite: true);
                    _compiledFile = (compiled.Version, next.Writing.Result, next.Writing.Result);
                    return;
                }
                File.Delete(next.Path);
            }
            if (_compiledFile is { } file && file.Version == versionBefore && file.Length - file.Whole <= file.Whole / 2)
            {
                if (changes.Count == 0)
                {
                    _compiledFile = file with { Version = compiled.Version };
                    return;
                }
                if (CompiledTableFile.Append(path, file.Length, compiled, changes) is { } length)
                {
                    _compiledFile = file with { Version = compiled.Version, Length = length };
                    return;
                }
            }
            var whole = CompiledTableFile.WriteWhole(path, compiled);
            _compiledFile = (compiled.Version, whole, whole);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _compiledFile = null;
            File.Delete(path);
        }
    }

    /// <summary>
    /// A first sync (nothing compiled yet, no compiled services file) writes the compiled services file it will leave
    /// while the kernel (or its tool) applies the plan, on another core: at 10k services the file is 18 MB and takes
    /// 0.2-0.4 s, which the kernel's seconds hide. It starts once the plan is ready to write, after a direct load's
    /// encoding, which uses both cores. It is written beside the file and moved over it only once the apply succeeded
    /// and the commit is the one it was written for (<see cref="SaveCompiled"/>); a failed apply deletes it. The writer
    /// only reads the services, and the engine waits for it before the commit touches them.
    /// </summary>
    private Prewritten? PrewriteCompiled(Target target)
    {
        if (CompiledFilePath is not { } path || _compiledFile is not null || target.Delta is not { } delta || delta.Base.Services.Count > 0
            || delta.Changes.Values.Any(c => c is null))
            return null;
        var next = path + ".next";
        var (backend, node, services, fingerprint) = (delta.Base.Backend, delta.Base.Node, delta.Changes.ToList(), delta.Fingerprint);
        return new Prewritten(next, delta.Base.Version, fingerprint,
            Task.Run(() => CompiledTableFile.WriteWhole(next, backend, node, services, fingerprint)));
    }

    /// <summary>The prewritten file once written (null: none, or its write failed and the commit writes it as before).</summary>
    private static async Task<Prewritten?> WrittenAsync(Prewritten? prewritten)
    {
        if (prewritten is not { } next)
            return null;
        try
        {
            await next.Writing.ConfigureAwait(false); // long done: the kernel tool took longer
            return next;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(next.Path);
            return null;
        }
    }

    /// <summary>The compiled services file being written for the commit of a first sync (<see cref="PrewriteCompiled"/>).</summary>
    private sealed record Prewritten(string Path, int Version, string Fingerprint, Task<long> Writing);

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
        var inCompiledFile = known.Compiled is { } compiled && known.Version == compiled.Version && _compiledFile?.Version == compiled.Version
            && known.Fingerprint == compiled.Fingerprint;
        File.WriteAllText(temporary, inCompiledFile
            ? KnownRules.CompiledStateText(Backend, generation, known.Fingerprint!)
            : known.Rules.Value.ToStateText(Backend, generation, known.Fingerprint));
        File.Move(temporary, file, overwrite: true);
    }

    private void Forget()
    {
        _known = null;
        if (_options.StateFile is { } file)
            File.Delete(file);
    }

    public void Dispose()
    {
        _gate.Dispose();
        if (_ownsLedger)
            _ledger.Dispose();
    }

    /// <summary>What the kernel holds, the generation that proves it (nf_tables), when it was last read, and the
    /// fingerprint of the table it was compiled from (null: read from the kernel, compiled from nothing known). When the
    /// rules are those of a compiled table at a version, a partial sync diffs only the services a delta changes.</summary>
    private sealed record Known(Lazy<KnownRules> Rules, NfTablesGeneration? Generation, DateTime ReadAt, string? Fingerprint,
        CompiledTable? Compiled = null, int Version = 0)
    {
        public bool Matches(CompiledTable table) => ReferenceEquals(Compiled, table) && Version == table.Version;
    }

    /// <summary>What a sync converges to: its fingerprint and DNS-only services (cheap), its rules (compiled only when
    /// needed), and the delta it is against the compiled table (null for the removal of every rule).</summary>
    private sealed record Target(string Fingerprint, IReadOnlyList<string> DnsOnly, Func<DesiredRules> Compile, TableDelta? Delta);
}
