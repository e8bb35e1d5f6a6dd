using Provisioner.Errors;
using Provisioner.Host.Netlink;
using Provisioner.ServiceRules.Nftables;

namespace Provisioner.ServiceRules.Applying;

/// <summary>The kernel refused part of a load of the netlab table (or an element has no encoding); the message names
/// the set and the element, and says what was left behind.</summary>
public sealed class NftLoadException : NetlabException
{
    public NftLoadException(string message) : base(message) { }

    public NftLoadException() : base("the nftables load failed") { }

    public NftLoadException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// A full sync into a namespace that holds no <c>ip netlab</c> table, written in three transactions instead of one
/// <c>nft -f</c>: nft 1.0.6 spends ~7 µs of userspace per element parsing and evaluating, which a 10k-service table's
/// 80k elements make 0.6 s, while the kernel's own share is a fraction of that. So:
/// (1) <c>nft -f</c> of the skeleton: the table, its sets empty, every chain and rule except the base chains' rules
/// (the base chains exist, empty, policy accept: no packet is changed by them);
/// (2) every element in one NFT_MSG_NEWSETELEM batch over NETLINK_NETFILTER (<see cref="NfTablesElementBatch"/>,
/// encoded by <see cref="NftElementCodec"/> as nft encodes them), one transaction committed whole or not at all;
/// (3) <c>nft -f</c> of the base chains' rules: the moment packets start to see the table, complete.
/// Until (3) commits no packet sees the table at all, so none sees it half loaded. A refusal in (2) or (3) deletes
/// the table again (the namespace had none: that is the state before the sync) and throws <see cref="NftLoadException"/>
/// naming the set and element. A table that exists is never loaded this way: replacing it stays one <c>nft -f</c>
/// (two transactions would open a gap where the old table is gone and the new one not complete).
/// </summary>
internal sealed class NftFirstLoad
{
    private readonly NftRuleset _ruleset;
    private readonly string _baseChainRules;
    private NfTablesElementBatch? _batch;

    public NftFirstLoad(NftRuleset ruleset)
    {
        ArgumentNullException.ThrowIfNull(ruleset);
        _ruleset = ruleset;
        _baseChainRules = ruleset.BaseChainRulesScript();
        Elements = ruleset.Sets.Sum(s => s.Elements.Count);
    }

    /// <summary>The nf_tables transactions the load commits (the generation moves by as many).</summary>
    public uint Transactions => 1u + (Elements > 0 ? 1u : 0u) + (_baseChainRules.Length > 0 ? 1u : 0u);

    public int Elements { get; }

    /// <summary>The element batch, encoded once (<see cref="RunAsync"/> encodes it while nft loads the skeleton).</summary>
    public NfTablesElementBatch Batch => _batch ??= Encode();

    public async Task RunAsync(RuleCommands commands, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(commands);
        // 80k elements take ~0.1 s to encode: done while nft (another process) loads the skeleton
        var encoding = Task.Run(() => Batch, CancellationToken.None);
        try
        {
            await commands.RunNftAsync(_ruleset.SkeletonScript(), checkOnly: false, ct).ConfigureAwait(false);
        }
        catch
        {
            await ((Task)encoding).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw; // the skeleton's one transaction was refused: nothing was loaded
        }
        try
        {
            var batch = await encoding.ConfigureAwait(false);
            var refused = batch.Commit(commands.NetnsPath);
            if (refused.Count > 0)
                throw new NftLoadException(Describe(refused));
            if (_baseChainRules.Length > 0)
                await commands.RunNftAsync(_baseChainRules, checkOnly: false, ct).ConfigureAwait(false);
        }
        catch (Exception failure)
        {
            var deleted = (await commands.DeleteNftTableAsync(CancellationToken.None).ConfigureAwait(false)).Succeeded;
            var after = deleted ? "netlab deleted the table it was loading: nothing is half-applied"
                : "netlab could not delete the half-loaded table (nft delete table ip netlab by hand; its base chains have no rules, so no packet is changed by it)";
            throw failure is NftLoadException
                ? new NftLoadException($"{failure.Message}; {after}", failure)
                : new NftLoadException($"loading table ip netlab ({Elements} elements over netlink, then the base chains' rules) failed: {failure.Message}; {after}", failure);
        }
    }

    /// <summary>Each set encoded on its own (in parallel: a process's first encode runs before the JIT has optimised
    /// it), then the sets' messages in set order, as one batch.</summary>
    private NfTablesElementBatch Encode()
    {
        var sets = _ruleset.Sets.Where(s => s.Elements.Count > 0).ToList();
        var batches = new NfTablesElementBatch[sets.Count];
        Parallel.For(0, sets.Count, i =>
        {
            var codec = NftElementCodec.For(sets[i]);
            batches[i] = new NfTablesElementBatch(NftRuleset.TableName);
            foreach (var element in sets[i].Elements)
                codec.AddTo(batches[i], element);
        });
        return batches.Aggregate(new NfTablesElementBatch(NftRuleset.TableName), (all, set) => all.Append(set));
    }

    private string Describe(IReadOnlyList<NfTablesElementError> refused)
    {
        var named = refused.Take(5).Select(e => e.Element >= 0 && ElementAt(e.Element) is { } element
            ? $"element {element.Text} of set {e.Set}: {Why(e)}"
            : $"set {e.Set}: {Why(e)}");
        return "the kernel refused the element batch of table ip netlab (one transaction, so none of it was committed): "
            + string.Join("; ", named) + (refused.Count > 5 ? $"; and {refused.Count - 5} more" : "");
    }

    private static string Why(NfTablesElementError e) =>
        e.Reason + (e.Errno == 2 ? " (a goto or jump to a chain that does not exist, or a set that does not)" : "");

    /// <summary>The element at <paramref name="index"/> of the batch: the sets' elements in order, as encoded.</summary>
    private NftElement? ElementAt(int index)
    {
        foreach (var set in _ruleset.Sets)
        {
            if (index < set.Elements.Count)
                return set.Elements[index];
            index -= set.Elements.Count;
        }
        return null;
    }
}
