using System.Collections.Immutable;
using System.Text;

namespace Provisioner.Core.Policy;

/// <summary>A column of the matrix: a pod's port, or a Service's port (reached through its ClusterIP).</summary>
public sealed record MatrixTarget(string Label, ServedPort Port);

/// <summary>One cell: what the policies say (<see cref="Expected"/>) and what a real probe saw.</summary>
public sealed record MatrixCell(string From, MatrixTarget To, PolicyVerdict? Expected, bool? Observed, string Detail)
{
    /// <summary>Not probed: the pod itself, or a Service whose endpoints the policies treat differently.</summary>
    public bool Skipped => Expected is null || Observed is null;

    public bool Matches => Skipped || Expected!.Allowed == Observed;
}

/// <summary>
/// The lab's reachability, expected from the policies and observed with probes, printed as cyclonus prints its truth
/// tables: one row per source pod, one column per pod port (plus DNS and Services); ✓ answered, ✗ blocked, a
/// trailing ! where the kernel disagrees with the policies.
/// </summary>
public sealed record ReachabilityMatrix(ImmutableArray<string> Sources, ImmutableArray<MatrixTarget> Targets, ImmutableArray<MatrixCell> Cells)
{
    public IEnumerable<MatrixCell> Mismatches => Cells.Where(c => !c.Matches);

    public MatrixCell Cell(string from, string to) => Cells.First(c => c.From == from && c.To.Label == to);

    public string Render()
    {
        var width = Math.Max("from \\ to".Length, Sources.Max(s => s.Length));
        var text = new StringBuilder();
        text.Append("from \\ to".PadRight(width + 1));
        foreach (var t in Targets)
            text.Append(' ').Append(t.Label);
        text.Append('\n');
        foreach (var source in Sources)
        {
            text.Append(source.PadRight(width + 1));
            foreach (var t in Targets)
            {
                var cell = Cells.First(c => c.From == source && c.To == t);
                var mark = cell.Skipped ? "·" : (cell.Observed == true ? "✓" : "✗") + (cell.Matches ? "" : "!");
                text.Append(' ').Append(mark.PadRight(t.Label.Length));
            }
            text.Append('\n');
        }
        text.Append("✓ answered  ✗ blocked  ! differs from the policies  · not probed (itself, or endpoints the policies treat differently)\n");
        return text.ToString();
    }

    /// <summary>A readable expectation: "allowed (x/p ingress[0])" or "blocked (ingress: x/a is isolated ...)".</summary>
    public static string Describe(PolicyVerdict verdict) =>
        verdict.Allowed ? $"allowed ({verdict.Explain()})" : $"blocked ({verdict.Explain()})";
}
