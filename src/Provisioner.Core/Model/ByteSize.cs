using System.Globalization;
using System.Text.RegularExpressions;

namespace Provisioner.Core.Model;

/// <summary>A size in bytes written the way Multipass takes it (<c>4G</c>, <c>512M</c>, binary units).</summary>
public readonly partial record struct ByteSize(long Bytes)
{
    public const long KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024;

    public static ByteSize FromGiB(long gib) => new(gib * GiB);

    public static bool TryParse(string? text, out ByteSize size)
    {
        size = default;
        var match = text is null ? null : Pattern().Match(text.Trim());
        if (match is null || !match.Success)
            return false;
        var unit = match.Groups["u"].Value.ToUpperInvariant();
        long factor = unit.Length == 0 ? 1 : unit[0] switch { 'K' => KiB, 'M' => MiB, 'G' => GiB, 'T' => GiB * 1024, _ => 1 };
        // A size too large for a long is a bad value like any other, not an exception.
        if (!decimal.TryParse(match.Groups["n"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            || number > long.MaxValue / factor)
            return false;
        size = new ByteSize((long)(number * factor));
        return size.Bytes > 0;
    }

    /// <summary>Multipass's spelling: whole gibibytes as <c>4G</c>, otherwise mebibytes.</summary>
    public override string ToString() =>
        Bytes % GiB == 0 ? $"{Bytes / GiB}G" : Bytes % MiB == 0 ? $"{Bytes / MiB}M" : $"{Bytes}";

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<u>[KMGT](i?B)?|B)?$", RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();
}
