using System.Globalization;
using System.Text.RegularExpressions;

namespace Provisioner.Observability;

/// <summary>
/// Names of the kernel's packet drop reasons (<c>enum skb_drop_reason</c>). Their numbers change between kernel
/// versions, so they are read from the running kernel's own tracepoint format, which lists them.
/// </summary>
public static partial class DropReasons
{
    public const string FormatPath = "/sys/kernel/tracing/events/skb/kfree_skb/format";

    public static IReadOnlyDictionary<int, string> Parse(string format) =>
        Pair().Matches(format).ToDictionary(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m => m.Groups[2].Value);

    public static IReadOnlyDictionary<int, string> Load(string path = FormatPath) =>
        File.Exists(path) ? Parse(File.ReadAllText(path)) : new Dictionary<int, string>();

    [GeneratedRegex("""\{\s*(\d+),\s*"([A-Z0-9_]+)"\s*\}""")]
    private static partial Regex Pair();
}
