using System.Text;
using System.Text.RegularExpressions;

namespace Provisioner.ServiceRules.Nftables;

/// <summary>What the kernel holds of the netlab table: the skeleton hash from its comment and each set's elements.</summary>
public sealed record NftKernelState(bool Exists, string? SkeletonHash, IReadOnlyDictionary<string, IReadOnlyList<NftElement>> Elements)
{
    public static NftKernelState Missing { get; } = new(false, null, new Dictionary<string, IReadOnlyList<NftElement>>());
}

/// <summary>
/// Reads <c>nft list table ip netlab</c> line by line: the table comment and the elements of every set and map.
/// Element comments never contain commas or braces (service names are DNS labels), so a comma splits elements.
/// </summary>
public static partial class NftListingParser
{
    private const string ElementsStart = "elements = {";

    public static NftKernelState Parse(string listing)
    {
        ArgumentNullException.ThrowIfNull(listing);
        string? hash = null, set = null;
        var elements = new Dictionary<string, IReadOnlyList<NftElement>>(StringComparer.Ordinal);
        StringBuilder? block = null;
        foreach (var raw in listing.Split('\n'))
        {
            var line = raw.Trim();
            if (block is not null)
            {
                block.Append(' ').Append(line);
                if (line.EndsWith('}'))
                    (elements[set!], block) = (SplitElements(block), null);
            }
            else if (line.StartsWith("comment \"" + NftRuleset.CommentPrefix, StringComparison.Ordinal) && set is null)
                hash = line[("comment \"" + NftRuleset.CommentPrefix).Length..].TrimEnd('"');
            else if ((line.StartsWith("set ", StringComparison.Ordinal) || line.StartsWith("map ", StringComparison.Ordinal)) && line.EndsWith('{'))
            {
                set = line[4..^1].Trim();
                elements[set] = [];
            }
            else if (line.StartsWith("chain ", StringComparison.Ordinal))
                set = null;
            else if (set is not null && line.StartsWith(ElementsStart, StringComparison.Ordinal))
            {
                block = new StringBuilder(line[ElementsStart.Length..]);
                if (line.EndsWith('}'))
                    (elements[set], block) = (SplitElements(block), null);
            }
        }
        return new NftKernelState(true, hash, elements);
    }

    private static List<NftElement> SplitElements(StringBuilder block)
    {
        var text = block.ToString().TrimEnd().TrimEnd('}');
        return [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseElement)];
    }

    private static NftElement ParseElement(string text)
    {
        var oneLine = text.Contains("  ", StringComparison.Ordinal) ? Whitespace().Replace(text, " ") : text;
        string? comment = null;
        var at = oneLine.IndexOf(" comment \"", StringComparison.Ordinal);
        if (at >= 0)
        {
            var end = oneLine.IndexOf('"', at + 10);
            comment = oneLine[(at + 10)..end];
            oneLine = oneLine.Remove(at, end + 1 - at);
        }
        var colon = oneLine.IndexOf(" : ", StringComparison.Ordinal);
        return colon < 0
            ? new NftElement(oneLine.Trim(), null, comment)
            : new NftElement(oneLine[..colon].Trim(), oneLine[(colon + 3)..].Trim(), comment);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
