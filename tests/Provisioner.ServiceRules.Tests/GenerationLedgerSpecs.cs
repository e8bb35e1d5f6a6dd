using Provisioner.Host.Netlink;
using Provisioner.ServiceRules.Applying;

namespace Provisioner.ServiceRules.Tests;

/// <summary>
/// The ledger of a process's own nf_tables moves: a chain of recorded writes is proven, a gap (a move the process did
/// not make), another namespace, or a write that moved the kernel by more than its own transactions is not.
/// </summary>
public sealed class GenerationLedgerSpecs
{
    private const ulong Here = 7;

    /// <summary>A write from <paramref name="from"/> that the kernel sees end at <paramref name="to"/>.</summary>
    private static Task<GenerationMove> Write(GenerationLedger ledger, string writer, uint from, uint to, uint transactions = 1)
    {
        var reads = new Queue<NfTablesGeneration?>([new NfTablesGeneration(Here, from), new NfTablesGeneration(Here, to)]);
        return ledger.WriteAsync(writer, reads.Dequeue, transactions, () => Task.CompletedTask, CancellationToken.None);
    }

    [Fact]
    public async Task Moves_made_only_by_the_process_own_writes_are_proven_and_name_their_writers()
    {
        using var ledger = new GenerationLedger();
        Assert.True((await Write(ledger, "policy", 10, 11)).Own);
        Assert.True((await Write(ledger, "services", 11, 13, transactions: 2)).Own);

        Assert.True(ledger.Proves(new(Here, 10), new(Here, 13), out var writers));
        Assert.Equal(["policy", "services"], writers);
        Assert.True(ledger.Proves(new(Here, 13), new(Here, 13), out _));
    }

    [Fact]
    public async Task A_move_the_process_did_not_make_is_never_proven()
    {
        using var ledger = new GenerationLedger();
        await Write(ledger, "policy", 10, 11);
        await Write(ledger, "policy", 12, 13); // 11 -> 12 was a hand edit

        Assert.False(ledger.Proves(new(Here, 10), new(Here, 13), out _));
        Assert.False(ledger.Proves(new(Here, 10), new(Here, 12), out _));
        Assert.False(ledger.Proves(new(Here, 10), new(Here + 1, 11), out _)); // another namespace
    }

    [Fact]
    public async Task A_write_that_moved_the_kernel_by_more_than_its_own_transactions_is_not_recorded()
    {
        using var ledger = new GenerationLedger();
        var move = await Write(ledger, "policy", 10, 12); // one transaction, two moves: someone else wrote meanwhile

        Assert.False(move.Own);
        Assert.False(ledger.Proves(new(Here, 10), new(Here, 12), out _));
    }
}
