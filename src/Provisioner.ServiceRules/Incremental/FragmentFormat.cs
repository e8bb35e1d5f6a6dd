using Provisioner.ServiceRules.Iptables;
using Provisioner.ServiceRules.Nftables;
using static Provisioner.ServiceRules.Incremental.CompiledTableFile;

namespace Provisioner.ServiceRules.Incremental;

/// <summary>A service's fragment in the compiled services file, field by field: read back, it is equal to the fragment
/// the compiler returns (the same rules and elements in the same order).</summary>
internal static class FragmentFormat
{
    public static void Write(BinaryWriter w, IptablesFragment fragment)
    {
        w.Write(fragment.Chains.Count);
        foreach (var chain in fragment.Chains)
        {
            w.Write(chain.Table);
            w.Write(chain.Name);
            w.Write(chain.Unordered);
            w.Write(chain.PinnedLast);
            WriteStrings(w, chain.Rules);
        }
        w.Write(fragment.Dispatch.Count);
        foreach (var (key, rules) in fragment.Dispatch)
        {
            w.Write(key);
            WriteStrings(w, rules);
        }
    }

    public static IptablesFragment ReadIptables(BinaryReader r)
    {
        var chains = new IptablesChain[r.ReadInt32()];
        for (var i = 0; i < chains.Length; i++)
        {
            var (table, name, unordered, pinned) = (r.ReadString(), r.ReadString(), r.ReadBoolean(), r.ReadBoolean());
            chains[i] = new IptablesChain(table, name, ReadStrings(r), unordered, pinned);
        }
        var count = r.ReadInt32();
        var dispatch = new Dictionary<string, IReadOnlyList<string>>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
            dispatch.Add(r.ReadString(), ReadStrings(r));
        return new IptablesFragment(chains, dispatch);
    }

    public static void Write(BinaryWriter w, NftFragment fragment)
    {
        w.Write(fragment.Elements.Count);
        foreach (var (set, elements) in fragment.Elements)
        {
            w.Write(set);
            w.Write(elements.Count);
            foreach (var element in elements)
            {
                w.Write(element.Key);
                WriteOptional(w, element.Value);
                WriteOptional(w, element.Comment);
            }
        }
        w.Write(fragment.MaxEndpoints);
        w.Write(fragment.AffinityTimeouts.Count);
        foreach (var timeout in fragment.AffinityTimeouts)
            w.Write(timeout);
    }

    public static NftFragment ReadNft(BinaryReader r)
    {
        var count = r.ReadInt32();
        var sets = new Dictionary<string, IReadOnlyList<NftElement>>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var set = r.ReadString();
            var elements = new NftElement[r.ReadInt32()];
            for (var j = 0; j < elements.Length; j++)
                elements[j] = new NftElement(r.ReadString(), ReadOptional(r), ReadOptional(r));
            sets.Add(set, elements);
        }
        var maxEndpoints = r.ReadInt32();
        var timeouts = new int[r.ReadInt32()];
        for (var i = 0; i < timeouts.Length; i++)
            timeouts[i] = r.ReadInt32();
        return new NftFragment(sets, maxEndpoints, timeouts);
    }

    private static void WriteOptional(BinaryWriter w, string? value)
    {
        w.Write(value is not null);
        if (value is not null)
            w.Write(value);
    }

    private static string? ReadOptional(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;
}
