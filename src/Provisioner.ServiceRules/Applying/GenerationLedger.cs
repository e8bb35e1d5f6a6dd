using Provisioner.Host.Netlink;

namespace Provisioner.ServiceRules.Applying;

/// <summary>
/// The nf_tables generations one process moved itself. netlab-proxy runs two controllers that write one kernel (the
/// service-rules engine and the NetworkPolicy applier), each proving its last-applied state by the generation; without
/// this, every write of one moves the generation and costs the other a full read. Each writer writes inside
/// <see cref="WriteAsync"/>: it holds the ledger's lock (the process's own writes never interleave), reads the
/// generation before and after, and records the move only when the kernel moved by exactly the write's own
/// transactions. A controller that proved its state at G may then trust it at H when <see cref="Proves"/> finds a chain
/// of recorded moves from G to H: every transaction between was this process's own, of rules that are not that
/// controller's. A move nobody recorded (a hand edit, another tool, another process) breaks the chain, so it is never
/// trusted. The netns lab does the same across processes with files (Provisioner.Netns' RulesProof).
/// </summary>
public sealed class GenerationLedger : IDisposable
{
    private const int Kept = 256; // moves per process, oldest forgotten first: a state older than that is read again

    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly Lock _lock = new();
    private readonly Dictionary<(ulong Namespace, uint From), (uint To, string Writer)> _moves = [];
    private readonly Queue<(ulong Namespace, uint From)> _order = new();

    /// <summary>
    /// Runs <paramref name="write"/> (which commits <paramref name="transactions"/> nf_tables transactions) alone among
    /// this ledger's writers, and records its move when the generation read before and after proves it was only that.
    /// </summary>
    public async Task<GenerationMove> WriteAsync(string writer, Func<NfTablesGeneration?> read, uint transactions, Func<Task> write,
        CancellationToken ct)
    {
        await _writing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var before = read();
            await write().ConfigureAwait(false);
            var after = read();
            var own = before is { } b && after is { } a && a.Namespace == b.Namespace && transactions > 0 && a.Id == b.Id + transactions;
            if (own)
                Record(before!.Value, after!.Value, writer);
            return new GenerationMove(before, after, own);
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>
    /// True when the kernel went from <paramref name="from"/> to <paramref name="to"/> by this process's recorded writes
    /// alone (or did not move); <paramref name="writers"/> names them. Never across namespaces.
    /// </summary>
    public bool Proves(NfTablesGeneration from, NfTablesGeneration to, out IReadOnlyList<string> writers)
    {
        var names = new List<string>();
        writers = names;
        if (from.Namespace != to.Namespace)
            return false;
        lock (_lock)
        {
            var at = from.Id;
            for (var step = 0; at != to.Id; step++)
            {
                if (step >= Kept || !_moves.TryGetValue((from.Namespace, at), out var move))
                    return false;
                at = move.To;
                if (!names.Contains(move.Writer))
                    names.Add(move.Writer);
            }
            return true;
        }
    }

    private void Record(NfTablesGeneration from, NfTablesGeneration to, string writer)
    {
        lock (_lock)
        {
            if (_moves.TryAdd((from.Namespace, from.Id), (to.Id, writer)))
                _order.Enqueue((from.Namespace, from.Id));
            else
                _moves[(from.Namespace, from.Id)] = (to.Id, writer); // a namespace's counter is monotonic: not reached twice
            while (_order.Count > Kept)
                _moves.Remove(_order.Dequeue());
        }
    }

    public void Dispose() => _writing.Dispose();
}

/// <summary>One write's generations: before and after it (null: none to read), and whether the move was the write's alone.</summary>
public readonly record struct GenerationMove(NfTablesGeneration? Before, NfTablesGeneration? After, bool Own);
