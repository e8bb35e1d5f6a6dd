namespace Provisioner.ServiceRules.Policy;

/// <summary>Rule comments within the kernel's limits (nft: 128 bytes, xt_comment: 256), cut readably.</summary>
public static class PolicyComments
{
    public const int MaxLength = 120;

    /// <summary>"isolated by a, b, c and 47 more" when the whole list does not fit.</summary>
    public static string IsolatedBy(IReadOnlyList<string> policies)
    {
        var text = "isolated by " + string.Join(", ", policies);
        for (var shown = policies.Count - 1; text.Length > MaxLength && shown > 0; shown--)
            text = $"isolated by {string.Join(", ", policies.Take(shown))} and {policies.Count - shown} more";
        return Bounded(text);
    }

    public static string Bounded(string text) => text.Length <= MaxLength ? text : text[..(MaxLength - 3)] + "...";
}
