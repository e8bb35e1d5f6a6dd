using Provisioner.ServiceRules.Iptables;
using Provisioner.ServiceRules.Nftables;
using static Provisioner.ServiceRules.Incremental.CompiledTableFile;

namespace Provisioner.ServiceRules.Incremental;

/// <summary>A service's fragment in the compiled services file, field by field: read back, it is equal to the fragment
/// the compiler returns (the same rules and elements in the same order).</summary>
internal static class FragmentFormat
{
    /// <summary>An iptables fragment: its chains' names and its dispatch rules (what a table's counts need), then its
    /// chains' rules as one length-prefixed block, decoded only when a chain's rules are read (a changed service's, or
    /// every service's for a full diff), so reading 10k services decodes a tenth of their text.</summary>
    public static void Write(BinaryWriter w, IptablesFragment fragment)
    {
        w.Write(fragment.Chains.Count);
        foreach (var chain in fragment.Chains)
        {
            w.Write(chain.Table);
            w.Write(chain.Name);
            w.Write(chain.Unordered);
            w.Write(chain.PinnedLast);
        }
        w.Write(fragment.Dispatch.Count);
        foreach (var (key, rules) in fragment.Dispatch)
        {
            w.Write(key);
            WriteStrings(w, rules);
        }
        var block = new MemoryStream();
        using (var b = new BinaryWriter(block, System.Text.Encoding.UTF8, leaveOpen: true))
            foreach (var chain in fragment.Chains)
                WriteStrings(b, chain.Rules);
        w.Write((int)block.Length);
        w.Write(block.GetBuffer(), 0, (int)block.Length);
    }

    /// <summary>Reads what <see cref="Write(BinaryWriter, IptablesFragment)"/> wrote, from a reader over
    /// <paramref name="bytes"/> starting at <paramref name="origin"/> (the chains' rules are decoded from the bytes later).</summary>
    public static IptablesFragment ReadIptables(BinaryReader r, byte[] bytes, int origin)
    {
        var names = new (string Table, string Name, bool Unordered, bool Pinned)[r.ReadInt32()];
        for (var i = 0; i < names.Length; i++)
            names[i] = (r.ReadString(), r.ReadString(), r.ReadBoolean(), r.ReadBoolean());
        var count = r.ReadInt32();
        var dispatch = new Dictionary<string, IReadOnlyList<string>>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
            dispatch.Add(r.ReadString(), ReadStrings(r));
        var length = r.ReadInt32();
        var start = origin + (int)r.BaseStream.Position;
        if (length < 0 || r.BaseStream.Seek(length, SeekOrigin.Current) > r.BaseStream.Length)
            throw new EndOfStreamException("a fragment's rules run past its segment");
        var block = new RulesBlock(bytes, start, length, names.Length);
        var chains = new IptablesChain[names.Length];
        for (var i = 0; i < names.Length; i++)
            chains[i] = new IptablesChain(names[i].Table, names[i].Name, new BlockRules(block, i), names[i].Unordered, names[i].Pinned);
        return new IptablesFragment(chains, dispatch);
    }

    /// <summary>The rules of a fragment's chains, decoded together on first use (the segment's digest was checked).</summary>
    private sealed class RulesBlock(byte[] bytes, int start, int length, int chains)
    {
        private string[][]? _rules;

        public string[] Chain(int index) => (_rules ??= Decode())[index];

        private string[][] Decode()
        {
            using var r = new BinaryReader(new MemoryStream(bytes, start, length, writable: false), System.Text.Encoding.UTF8);
            var rules = new string[chains][];
            for (var i = 0; i < chains; i++)
                rules[i] = ReadStrings(r);
            return rules;
        }
    }

    private sealed class BlockRules(RulesBlock block, int index) : IReadOnlyList<string>
    {
        public string this[int i] => block.Chain(index)[i];

        public int Count => block.Chain(index).Length;

        public IEnumerator<string> GetEnumerator() => ((IEnumerable<string>)block.Chain(index)).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
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
