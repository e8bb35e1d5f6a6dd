using System.Buffers.Binary;
using Provisioner.Host.Netfilter;

namespace Provisioner.ServiceRules.Iptables.Legacy;

/// <summary>A built-in chain of a table: its hook (NF_INET_PRE_ROUTING = 0 … POST_ROUTING = 4) and policy verdict.</summary>
internal sealed record BuiltinChain(int Hook, string Name, int Policy);

/// <summary>
/// Lays out a whole legacy table as libiptc 1.8.9 compiles it (TC_COMMIT): the built-in chains in hook order, each
/// its rules then its policy entry; then the user chains in strcmp order, each an ERROR entry naming it, its rules and
/// a RETURN entry; then the closing ERROR entry. A jump is the offset of the chain's first entry after its head.
/// </summary>
internal static class LegacyTableEncoder
{
    /// <summary>Where the entries start in the encoded buffer (<see cref="XtablesLegacy.ReplaceHeader"/> bytes are left for the header).</summary>
    public const int Base = XtablesLegacy.ReplaceHeader;

    public static readonly string[] HookNames = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"];

    /// <summary>The built-in chains of <paramref name="table"/> when the kernel holds them empty (and their
    /// policies), or null with the reason it holds more (then the table is not netlab's to replace whole).</summary>
    public static (IReadOnlyList<BuiltinChain>? Builtins, string? Why) EmptyBuiltins(XtablesTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var builtins = new List<BuiltinChain>();
        var offset = 0u;
        for (var hook = 0; hook < 5; hook++)
        {
            if ((table.ValidHooks & (1u << hook)) == 0)
                continue;
            if (table.HookEntry[hook] != offset || table.Underflow[hook] != offset)
                return (null, $"its {HookNames[hook]} chain holds rules");
            var entry = table.Entries.AsSpan((int)offset);
            if (BinaryPrimitives.ReadUInt16LittleEndian(entry[88..]) != LegacyRuleEncoder.EntrySize
                || BinaryPrimitives.ReadUInt16LittleEndian(entry[90..]) != LegacyRuleEncoder.EntrySize + LegacyRuleEncoder.StandardTargetSize
                || entry[..84].ContainsAnyExcept((byte)0))
                return (null, $"its {HookNames[hook]} policy entry is not a plain one");
            var verdict = BinaryPrimitives.ReadInt32LittleEndian(entry[(LegacyRuleEncoder.EntrySize + 32)..]);
            if (verdict is not (LegacyRuleEncoder.Accept or LegacyRuleEncoder.Drop))
                return (null, $"its {HookNames[hook]} policy is verdict {verdict}");
            builtins.Add(new BuiltinChain(hook, HookNames[hook], verdict));
            offset += LegacyRuleEncoder.EntrySize + LegacyRuleEncoder.StandardTargetSize;
        }
        if (table.EntryCount != builtins.Count + 1 || table.Entries.Length != offset + LegacyRuleEncoder.EntrySize + LegacyRuleEncoder.ErrorTargetSize)
            return (null, $"it holds {table.EntryCount - builtins.Count - 1} entries beyond its empty built-in chains (user chains or rules)");
        return (builtins, null);
    }

    /// <summary>The table holding <paramref name="builtinRules"/> (by built-in chain name, in
    /// order) and <paramref name="chains"/>; throws <see cref="LegacyEncodingException"/> for a rule it cannot encode.</summary>
    public static (uint ValidHooks, uint[] HookEntry, uint[] Underflow, uint EntryCount, BlobWriter Entries) Encode(
        IReadOnlyList<BuiltinChain> builtins, IReadOnlyDictionary<string, List<string>> builtinRules, IReadOnlyList<IptablesChain> chains)
    {
        ArgumentNullException.ThrowIfNull(builtins);
        ArgumentNullException.ThrowIfNull(builtinRules);
        ArgumentNullException.ThrowIfNull(chains);
        var rules = chains.Sum(c => c.Rules.Count) + builtinRules.Values.Sum(r => r.Count);
        var output = new BlobWriter(rules * 500 + chains.Count * 240 + 4096);
        output.Zero(Base); // room for struct ipt_replace: the kernel gets this buffer as it is
        var validHooks = 0u;
        var chainSet = new HashSet<string>(chains.Select(c => c.Name), StringComparer.Ordinal);
        var names = chainSet.GetAlternateLookup<ReadOnlySpan<char>>();
        if (chainSet.Count != chains.Count)
            throw new LegacyEncodingException("a chain is declared twice");
        foreach (var unknown in builtinRules.Keys.Where(k => builtins.All(b => b.Name != k)))
            throw new LegacyEncodingException($"rules for {unknown}, which the table has no built-in chain for");
        var fixups = new List<(int At, string Chain)>();
        var (hookEntry, underflow) = (new uint[5], new uint[5]);
        var count = 0u;
        foreach (var builtin in builtins)
        {
            validHooks |= 1u << builtin.Hook;
            hookEntry[builtin.Hook] = (uint)(output.Length - Base);
            foreach (var rule in builtinRules.GetValueOrDefault(builtin.Name) ?? [])
            {
                LegacyRuleEncoder.Encode(rule, builtin.Name, output, names, fixups);
                count++;
            }
            underflow[builtin.Hook] = (uint)(output.Length - Base);
            LegacyRuleEncoder.Standard(output, builtin.Policy);
            count++;
        }
        var starts = new Dictionary<string, int>(chains.Count, StringComparer.Ordinal);
        foreach (var chain in chains.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            LegacyRuleEncoder.Error(output, chain.Name);
            starts[chain.Name] = output.Length - Base;
            foreach (var rule in chain.Rules)
                LegacyRuleEncoder.Encode(rule, chain.Name, output, names, fixups);
            LegacyRuleEncoder.Standard(output, LegacyRuleEncoder.Return);
            count += (uint)chain.Rules.Count + 2;
        }
        LegacyRuleEncoder.Error(output, "ERROR");
        count++;
        foreach (var (at, chain) in fixups)
            output.WriteInt32(at, starts[chain]);
        return (validHooks, hookEntry, underflow, count, output);
    }
}
