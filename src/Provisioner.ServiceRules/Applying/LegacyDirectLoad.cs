using Provisioner.Host.Netfilter;
using Provisioner.ServiceRules.Iptables;
using Provisioner.ServiceRules.Iptables.Legacy;

namespace Provisioner.ServiceRules.Applying;

/// <summary>
/// A full sync on iptables-legacy into tables that hold nothing but their empty built-in chains, written without
/// iptables-legacy-restore: the tool spends 1.0-1.4 s of userspace on a 10k-service payload (libiptc's chain lookups,
/// libxtables' target cache), the kernel's replace of the 150k-rule table ~0.4 s. Here each table's x_tables image is
/// built in process (<see cref="LegacyTableEncoder"/>: the bytes iptables-legacy 1.8.9 would hand the kernel for the
/// same rules) and handed over with one IPT_SO_SET_REPLACE, read and replace under the xtables lock.
/// <para>
/// Only empty tables are written this way: a table holding anything else (another program's rules or chains, a policy
/// other than ACCEPT/DROP, or netlab's own chains) goes to the tool, which keeps every rule it does not touch. So does a
/// rule the encoder has no encoding for. Either is decided before anything is written, and said in the returned reason.
/// The tables are replaced one after the other (as the tool's one COMMIT per table); if the kernel refuses the second,
/// the first is put back as it was read (empty) and the error names both.
/// </para>
/// </summary>
internal static class LegacyDirectLoad
{
    public const string Writer = "x_tables replace (IPT_SO_SET_REPLACE, no iptables-legacy-restore)";

    /// <summary>Writes <paramref name="desired"/>; null when written, else why the tool must write it (nothing was written).</summary>
    public static string? TryLoad(IptablesRuleset desired, string? netnsPath, TimeSpan lockWait) =>
        TryLoadTimed(desired, netnsPath, lockWait).Why;

    /// <summary><see cref="TryLoad"/>, with how long encoding and the kernel's replaces took.</summary>
    public static (string? Why, TimeSpan Encode, TimeSpan Replace, long Bytes) TryLoadTimed(IptablesRuleset desired, string? netnsPath, TimeSpan lockWait)
    {
        ArgumentNullException.ThrowIfNull(desired);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var encode = TimeSpan.Zero;
        return XtablesLegacy.WithSession<(string?, TimeSpan, TimeSpan, long)>(netnsPath, lockWait, session =>
        {
            var images = new List<(XtablesTable Old, (uint Valid, uint[] Hooks, uint[] Under, uint Count, BlobWriter Entries) New)>();
            foreach (var table in IptablesRuleset.Tables)
            {
                var chains = desired.Chains.Where(c => c.Table == table).ToList();
                var jumps = desired.Jumps.Where(j => j.Table == table).ToList();
                if (chains.Count == 0 && jumps.Count == 0)
                    continue;
                var old = session.Read(table);
                var (builtins, why) = LegacyTableEncoder.EmptyBuiltins(old);
                if (builtins is null)
                    return ($"table {table} is not empty ({why})", default, default, 0);
                // the tool inserts each hook jump at position 1 (-I CHAIN 1): into an empty chain, in reverse order
                var hookRules = new Dictionary<string, List<string>>(StringComparer.Ordinal);
                foreach (var jump in Enumerable.Reverse(jumps))
                {
                    var chain = jump.Rule.Split(' ', 3)[1];
                    if (!hookRules.TryGetValue(chain, out var list))
                        hookRules[chain] = list = [];
                    list.Add(jump.Rule);
                }
                try
                {
                    images.Add((old, LegacyTableEncoder.Encode(builtins, hookRules, chains)));
                }
                catch (LegacyEncodingException e)
                {
                    return ($"table {table}: {e.Message}", default, default, 0);
                }
            }
            encode = clock.Elapsed;
            for (var i = 0; i < images.Count; i++)
            {
                var (old, image) = images[i];
                try
                {
                    session.Replace(old.Name, image.Valid, image.Hooks, image.Under, image.Count, image.Entries.Bytes,
                        image.Entries.Length - LegacyTableEncoder.Base, old.EntryCount);
                }
                catch (XtablesException refused) when (i > 0)
                {
                    var undone = images.Take(i).Select(done => Restore(session, done.Old, done.New.Count));
                    throw new XtablesException($"{refused.Message}; {string.Join("; ", undone)}", refused.Errno);
                }
            }
            return (null, encode, clock.Elapsed - encode, images.Sum(i => (long)i.New.Entries.Length - LegacyTableEncoder.Base));
        });
    }

    /// <summary>Both tables encoded into empty built-in chains (policy ACCEPT), nothing written: for the bench.</summary>
    internal static long EncodeAll(IptablesRuleset desired)
    {
        long bytes = 0;
        foreach (var table in IptablesRuleset.Tables)
        {
            var hooks = table == "nat" ? (int[])[0, 1, 3, 4] : [1, 2, 3];
            var builtins = hooks.Select(h => new BuiltinChain(h, LegacyTableEncoder.HookNames[h], LegacyRuleEncoder.Accept)).ToList();
            var hookRules = desired.Jumps.Where(j => j.Table == table).Reverse().GroupBy(j => j.Rule.Split(' ', 3)[1])
                .ToDictionary(g => g.Key, g => g.Select(j => j.Rule).ToList(), StringComparer.Ordinal);
            bytes += LegacyTableEncoder.Encode(builtins, hookRules, [.. desired.Chains.Where(c => c.Table == table)]).Entries.Length - LegacyTableEncoder.Base;
        }
        return bytes;
    }

    private static string Restore(XtablesLegacy.Session session, XtablesTable old, uint replacedCount)
    {
        try
        {
            session.Replace(old.Name, old.ValidHooks, old.HookEntry, old.Underflow, old.EntryCount, old.Entries, replacedCount);
            return $"table {old.Name}, already replaced, was put back as it was (empty)";
        }
        catch (XtablesException e)
        {
            return $"table {old.Name} was replaced and could not be put back ({e.Message}): iptables-legacy -t {old.Name} -F and -X by hand";
        }
    }
}
