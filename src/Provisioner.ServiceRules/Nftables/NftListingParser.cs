using System.Text;
using System.Text.RegularExpressions;

namespace Provisioner.ServiceRules.Nftables;

/// <summary>
/// The skeleton of an <c>ip netlab</c> table as nft lists it: each chain's lines (hook line and rules) and each set's
/// or map's declaration lines, trimmed. Two skeletons listed by the same nft compare equal exactly when the kernel
/// holds the same chains, rules and set types.
/// </summary>
public sealed record NftSkeleton(IReadOnlyDictionary<string, IReadOnlyList<string>> Chains, IReadOnlyDictionary<string, IReadOnlyList<string>> Sets);

/// <summary>
/// What the kernel holds of the netlab table: the skeleton hash from its comment, each set's elements, and the skeleton
/// as listed (<see cref="Skeleton"/> is null for a last-applied state, whose skeleton is by construction the desired one).
/// </summary>
public sealed record NftKernelState(bool Exists, string? SkeletonHash, IReadOnlyDictionary<string, IReadOnlyList<NftElement>> Elements,
    NftSkeleton? Skeleton = null)
{
    public static NftKernelState Missing { get; } = new(false, null, new Dictionary<string, IReadOnlyList<NftElement>>());
}

/// <summary>
/// Reads <c>nft list table ip netlab</c> line by line: the table comment, the elements of every set and map, and the
/// skeleton (chain bodies, set declarations). Element comments never contain commas or braces (service names are DNS
/// labels), so a comma splits elements.
/// </summary>
public static partial class NftListingParser
{
    private const string ElementsStart = "elements = {";

    public static NftKernelState Parse(string listing)
    {
        ArgumentNullException.ThrowIfNull(listing);
        string? hash = null, set = null, chain = null;
        var elements = new Dictionary<string, IReadOnlyList<NftElement>>(StringComparer.Ordinal);
        var chains = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var sets = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
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
            else if (line.Length == 0)
                continue;
            else if (line == "}")
                (set, chain) = (null, null);
            else if (chain is not null)
                ((List<string>)chains[chain]).Add(line);
            else if (line.StartsWith("comment \"" + NftRuleset.CommentPrefix, StringComparison.Ordinal) && set is null)
                hash = line[("comment \"" + NftRuleset.CommentPrefix).Length..].TrimEnd('"');
            else if ((line.StartsWith("set ", StringComparison.Ordinal) || line.StartsWith("map ", StringComparison.Ordinal)) && line.EndsWith('{'))
            {
                set = line[4..^1].Trim();
                elements[set] = [];
                sets[set] = new List<string> { line[..3] };
            }
            else if (line.StartsWith("chain ", StringComparison.Ordinal) && line.EndsWith('{'))
            {
                chain = line[6..^1].Trim();
                chains[chain] = new List<string>();
            }
            else if (set is not null && line.StartsWith(ElementsStart, StringComparison.Ordinal))
            {
                block = new StringBuilder(line[ElementsStart.Length..]);
                if (line.EndsWith('}'))
                    (elements[set], block) = (SplitElements(block), null);
            }
            else if (set is not null)
                ((List<string>)sets[set]).Add(line);
        }
        return new NftKernelState(true, hash, elements, new NftSkeleton(chains, sets));
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
