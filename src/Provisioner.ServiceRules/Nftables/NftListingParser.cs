using System.Text.RegularExpressions;

namespace Provisioner.ServiceRules.Nftables;

/// <summary>What the kernel holds of the netlab table: the skeleton hash from its comment and each set's elements.</summary>
public sealed record NftKernelState(bool Exists, string? SkeletonHash, IReadOnlyDictionary<string, IReadOnlyList<NftElement>> Elements)
{
    public static NftKernelState Missing { get; } = new(false, null, new Dictionary<string, IReadOnlyList<NftElement>>());
}

/// <summary>Reads <c>nft list table ip netlab</c>: the table comment and the elements of every set and map.</summary>
public static partial class NftListingParser
{
    public static NftKernelState Parse(string listing)
    {
        ArgumentNullException.ThrowIfNull(listing);
        var hash = TableComment().Match(listing) is { Success: true } c ? c.Groups["hash"].Value : null;
        var elements = new Dictionary<string, IReadOnlyList<NftElement>>(StringComparer.Ordinal);
        foreach (Match set in SetBlock().Matches(listing))
        {
            var body = set.Groups["body"].Value;
            var start = body.IndexOf("elements = {", StringComparison.Ordinal);
            if (start < 0)
            {
                elements[set.Groups["name"].Value] = [];
                continue;
            }
            var from = start + "elements = {".Length;
            var text = body[from..body.IndexOf('}', from)];
            elements[set.Groups["name"].Value] = [.. text.Split(',').Select(ParseElement).Where(e => e.Key.Length > 0)];
        }
        return new NftKernelState(true, hash, elements);
    }

    private static NftElement ParseElement(string text)
    {
        var oneLine = Whitespace().Replace(text, " ").Trim();
        string? comment = null;
        if (ElementComment().Match(oneLine) is { Success: true } m)
        {
            comment = m.Groups["comment"].Value;
            oneLine = oneLine.Remove(m.Index, m.Length);
        }
        var colon = oneLine.IndexOf(" : ", StringComparison.Ordinal);
        return colon < 0
            ? new NftElement(oneLine.Trim(), null, comment)
            : new NftElement(oneLine[..colon].Trim(), oneLine[(colon + 3)..].Trim(), comment);
    }

    [GeneratedRegex("^\\s*comment \"" + NftRuleset.CommentPrefix + "(?<hash>[0-9a-f]+)\"", RegexOptions.Multiline)]
    private static partial Regex TableComment();

    [GeneratedRegex(@"^\s*(?:set|map) (?<name>\S+) \{\n(?<body>.*?)^\s*\}\n", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex SetBlock();

    [GeneratedRegex(" comment \"(?<comment>[^\"]*)\"")]
    private static partial Regex ElementComment();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
