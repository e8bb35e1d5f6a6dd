using System.Collections.Concurrent;
using Provisioner.Core.Config;
using Provisioner.Core.Planning;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Rendering.Tests;

/// <summary>The stacks the rendering tests use: one per golden folder (tests/Provisioner.Rendering.Tests/Golden/NNN-name/stack.yaml).</summary>
public static class Stacks
{
    public static string GoldenRoot => RepoPaths.Of("tests", "Provisioner.Rendering.Tests", "Golden");

    public static IEnumerable<string> GoldenCases() =>
        Directory.EnumerateDirectories(GoldenRoot).Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    private static readonly ConcurrentDictionary<string, LabPlan> Plans = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<(LabPlan, string), IReadOnlyList<RenderedFile>> Renders = new();

    /// <summary>The plan of a golden stack (parsed once per test run; plans are immutable).</summary>
    public static LabPlan Plan(string goldenCase) => Plans.GetOrAdd(goldenCase, c =>
        LabPlan.For(StackFile.Parse(File.ReadAllText(Path.Combine(GoldenRoot, c, "stack.yaml")), c)));

    public static LabPlan Dev => Plan("001-dev-ovs-vxlan");
    public static LabPlan LinuxVxlanKubeProxy => Plan("002-linux-vxlan-kube-proxy");

    /// <summary>xunit theory data: every golden case.</summary>
    public static TheoryData<string> Cases() => [.. GoldenCases()];

    /// <summary>xunit theory data: every (case, node) pair.</summary>
    public static TheoryData<string, string> Nodes()
    {
        var data = new TheoryData<string, string>();
        foreach (var c in GoldenCases())
            foreach (var node in Plan(c).Lab.Nodes)
                data.Add(c, node.Name);
        return data;
    }

    /// <summary>One rendered file of a node, with the embedded templates (rendered once per plan and node).</summary>
    public static RenderedFile Rendered(LabPlan plan, string node, string relativePath) =>
        Renders.GetOrAdd((plan, node), k => LabRenderer.RenderNode(k.Item1, k.Item2)).Single(f => f.RelativePath == relativePath);
}
