using Provisioner.Host.Netlink;
using Provisioner.ServiceRules.Nftables;

namespace Provisioner.ServiceRules.Applying;

/// <summary>
/// Reads the kernel's netlab table as <see cref="NftListingParser"/> reads <c>nft list table ip netlab</c>, at a
/// fraction of nft's cost (listing 80k elements is ~1.9 s of nft CPU): the skeleton from <c>nft -t list ruleset ip</c>
/// (terse: no elements; nft 1.0.6 fetches none for it, while for <c>nft -t list table</c> it fetches every one), the
/// elements of each set from an NFT_MSG_GETSETELEM dump decoded by <see cref="NftElementCodec"/>.
/// Sets the kernel fills itself (<c>flags dynamic</c>/<c>timeout</c>: their elements carry expiry times) are listed
/// by nft, one set each; a set whose type netlab cannot decode (one added by hand) makes it read the whole table with
/// nft, as before. The reads are one snapshot when the nf_tables generation did not move across them; otherwise they
/// are read again.
/// </summary>
internal static class NftKernelRead
{
    private const int Attempts = 3;

    public static async Task<NftKernelState> ReadAsync(RuleCommands commands, CancellationToken ct)
    {
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            var before = commands.ReadGeneration();
            var terse = await commands.ListNftRulesetTerseAsync(ct).ConfigureAwait(false);
            if (!terse.Succeeded)
                break;
            if (TableBlock(terse.StandardOutput) is not { } table)
                return NftKernelState.Missing;
            var state = NftListingParser.Parse(table);
            var elements = await ElementsAsync(commands, state.Skeleton!, ct).ConfigureAwait(false);
            if (elements is null)
                break;
            if (commands.ReadGeneration() == before)
                return state with { Elements = elements };
        }
        return await FullAsync(commands, ct).ConfigureAwait(false);
    }

    /// <summary>What the netlab table was read as before: <c>nft list table ip netlab</c>, parsed.</summary>
    private static async Task<NftKernelState> FullAsync(RuleCommands commands, CancellationToken ct)
    {
        var listing = await commands.ListNftTableAsync(ct).ConfigureAwait(false);
        return listing.Succeeded ? NftListingParser.Parse(listing.StandardOutput) : NftKernelState.Missing;
    }

    /// <summary>The <c>table ip netlab { ... }</c> block of a ruleset listing (a table's closing brace is alone at the
    /// start of a line), or null when the ruleset has no such table.</summary>
    private static string? TableBlock(string ruleset)
    {
        const string Start = $"table {NftRuleset.Family} {NftRuleset.TableName} {{\n";
        var at = ruleset.StartsWith(Start, StringComparison.Ordinal) ? 0
            : ruleset.IndexOf("\n" + Start, StringComparison.Ordinal) is var newline and >= 0 ? newline + 1 : -1;
        if (at < 0)
            return null;
        var end = ruleset.IndexOf("\n}\n", at, StringComparison.Ordinal);
        return end < 0 ? ruleset[at..] : ruleset[at..(end + 3)];
    }

    /// <summary>
    /// nft 1.0.6 sorts a set's elements before printing them (list_expr_sort), while each key is still one value of
    /// the key's bytes imported in host byte order: the order of the keys read as little-endian integers.
    /// </summary>
    private static readonly Comparer<NfTablesRawElement> ListingOrder = Comparer<NfTablesRawElement>.Create((a, b) =>
    {
        if (a.Key.Length != b.Key.Length)
            return a.Key.Length.CompareTo(b.Key.Length);
        for (var i = a.Key.Length - 1; i >= 0; i--)
            if (a.Key[i] != b.Key[i])
                return a.Key[i].CompareTo(b.Key[i]);
        return 0;
    });

    /// <summary>Every set's elements in nft's listing order, or null when one has no codec.</summary>
    private static async Task<Dictionary<string, IReadOnlyList<NftElement>>?> ElementsAsync(RuleCommands commands, NftSkeleton skeleton, CancellationToken ct)
    {
        var result = new Dictionary<string, IReadOnlyList<NftElement>>(StringComparer.Ordinal);
        var codecs = new List<NftElementCodec>();
        foreach (var (name, lines) in skeleton.Sets)
        {
            if (lines.Any(l => l.StartsWith("flags ", StringComparison.Ordinal) || l.StartsWith("timeout ", StringComparison.Ordinal)))
            {
                var listed = await commands.ListNftSetAsync(lines[0], name, ct).ConfigureAwait(false);
                if (!listed.Succeeded)
                    return null;
                result[name] = NftListingParser.Parse(listed.StandardOutput).Elements.GetValueOrDefault(name) ?? [];
                continue;
            }
            if (lines.Count < 2 || !lines[1].StartsWith("type", StringComparison.Ordinal))
                return null;
            try
            {
                codecs.Add(NftElementCodec.For(new NftSet(lines[0], name, lines[1], [])));
            }
            catch (NftLoadException)
            {
                return null; // not a type netlab writes: nft reads it
            }
        }
        try
        {
            var dumped = NfTablesElementDump.Read(commands.NetnsPath, NftRuleset.TableName, [.. codecs.Select(c => c.Set)]);
            foreach (var codec in codecs)
                result[codec.Set] = [.. dumped[codec.Set].Order(ListingOrder).Select(codec.Decode)];
        }
        catch (NftLoadException)
        {
            return null; // a field that is not the set's type's size: nft reads it
        }
        return skeleton.Sets.Keys.ToDictionary(n => n, n => result[n], StringComparer.Ordinal); // in the listing's order
    }
}
