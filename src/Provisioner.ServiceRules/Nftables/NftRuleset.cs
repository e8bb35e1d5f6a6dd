using System.Security.Cryptography;
using System.Text;

namespace Provisioner.ServiceRules.Nftables;

/// <summary>One element of a set or map, written as nft lists it (key, optional comment, optional " : value").</summary>
public sealed record NftElement(string Key, string? Value = null, string? Comment = null)
{
    /// <summary>What identifies the element in the kernel: key and value; the comment is for the reader only.</summary>
    public string Identity => Value is null ? Key : $"{Key} : {Value}";

    public string Text => AppendTo(new StringBuilder(Key.Length + (Comment?.Length ?? 0) + (Value?.Length ?? 0) + 16)).ToString();

    /// <summary>Writes <see cref="Text"/> without making it a string (a full sync writes 80k elements).</summary>
    public StringBuilder AppendTo(StringBuilder text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text.Append(Key);
        if (Comment is not null)
            text.Append(" comment \"").Append(Comment).Append('"');
        return Value is null ? text : text.Append(" : ").Append(Value);
    }

    /// <summary>Writes <paramref name="elements"/> as nft lists them: <c>elements = { a,\n\t\t\tb }</c> and a newline.</summary>
    public static StringBuilder AppendElements(StringBuilder text, IReadOnlyList<NftElement> elements)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(elements);
        text.Append("\t\telements = { ");
        for (var i = 0; i < elements.Count; i++)
            elements[i].AppendTo(i == 0 ? text : text.Append(",\n\t\t\t"));
        return text.Append(" }\n");
    }
}

/// <summary>A named set or map of the netlab table; <see cref="Declaration"/> is its body without the elements.</summary>
public sealed record NftSet(string Kind, string Name, string Declaration, IReadOnlyList<NftElement> Elements);

/// <summary>
/// The desired <c>ip netlab</c> table: a fixed skeleton (set/map declarations and a handful of chains) and the
/// elements that carry the services. A service change only changes elements; the skeleton's hash is kept in the
/// table's comment so a later process can tell whether the kernel's skeleton is current without parsing rules.
/// </summary>
public sealed record NftRuleset(IReadOnlyList<NftSet> Sets, IReadOnlyList<string> Chains)
{
    public const string Family = "ip";
    public const string TableName = "netlab";
    public const string CommentPrefix = "netlab service rules, skeleton ";

    public string SkeletonHash
    {
        get
        {
            var skeleton = string.Join('\n', Sets.Select(s => $"{s.Kind} {s.Name} {{{s.Declaration}}}").Concat(Chains));
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(skeleton)))[..16];
        }
    }

    /// <summary>The whole table in one nft -f transaction: create-if-missing, delete, recreate.</summary>
    public string ToScript() =>
        $"table {Family} {TableName}\ndelete table {Family} {TableName}\n" + TableText(TableName, withElements: true);

    /// <summary>
    /// The first transaction of a first load (<c>NftFirstLoad</c>): the table, its sets without elements and every chain
    /// with its rules, except that the base chains (those with a hook) are declared without theirs. An empty base chain
    /// with policy accept lets every packet through as if the table were not there; the chains are created in the
    /// same order as <see cref="ToScript"/> creates them, so the kernel lists them in the same order.
    /// </summary>
    public string SkeletonScript() =>
        $"table {Family} {TableName}\ndelete table {Family} {TableName}\n" + TableText(TableName, withElements: false, baseChainRules: false);

    /// <summary>The last transaction of a first load: the base chains' rules, the table's only hooks into traffic.</summary>
    public string BaseChainRulesScript()
    {
        var text = new StringBuilder();
        foreach (var chain in Chains)
        {
            var lines = chain.Split('\n');
            if (IsBaseChain(lines))
                foreach (var rule in lines[2..^1])
                    text.Append($"add rule {Family} {TableName} {ChainName(lines)} {rule.Trim()}\n");
        }
        return text.ToString();
    }

    /// <summary>A chain's text: <c>\tchain NAME {</c>, the hook line of a base chain (<c>type ... hook ...</c>), rules, <c>\t}</c>.</summary>
    private static bool IsBaseChain(string[] lines) => lines.Length > 2 && lines[1].StartsWith("\t\ttype ", StringComparison.Ordinal);

    private static string ChainName(string[] lines) => lines[0].Trim()["chain ".Length..^" {".Length];

    /// <summary>The table block alone, without elements: how netlab learns how this nft lists the desired skeleton
    /// (<see cref="NftSkeleton"/>), to compare the kernel's against.</summary>
    public string ProbeScript(string probeTable) => TableText(probeTable, withElements: false);

    private string TableText(string table, bool withElements, bool baseChainRules = true)
    {
        var text = new StringBuilder(withElements ? Sets.Sum(s => s.Elements.Count) * 72 + 8192 : 8192);
        text.Append($"table {Family} {table} {{\n");
        text.Append($"\tcomment \"{CommentPrefix}{SkeletonHash}\"\n");
        foreach (var set in Sets)
        {
            text.Append($"\t{set.Kind} {set.Name} {{\n\t\t{set.Declaration}\n");
            if (withElements && set.Elements.Count > 0)
                NftElement.AppendElements(text, set.Elements);
            text.Append("\t}\n");
        }
        foreach (var chain in Chains)
        {
            var lines = baseChainRules ? null : chain.Split('\n');
            if (lines is not null && IsBaseChain(lines))
                text.AppendJoin('\n', lines[0], lines[1], lines[^1]).Append('\n');
            else
                text.Append(chain).Append('\n');
        }
        return text.Append("}\n").ToString();
    }
}
