using System.Diagnostics;
using Provisioner.Host.Processes;
using Provisioner.ServiceRules.Applying;

namespace Provisioner.Observability.Metrics;

/// <summary>
/// One node's service rule counters (<see cref="Counted"/> is false when its rules carry no counters to read), and
/// the counters of its OVS tunnel ports where the fabric is OVS.
/// </summary>
public sealed record NodeRuleSample(string Node, RuleBackend Backend, bool Counted, IReadOnlyList<ServiceCounter> Services, IReadOnlyList<EndpointCounter> Endpoints)
{
    public IReadOnlyList<InterfaceCounters> OvsTunnels { get; init; } = [];
}

/// <summary>Everything read in one scrape, and what could not be read (each problem names its source).</summary>
public sealed record LabSample(
    LabTargets Targets,
    IReadOnlyList<NodeRuleSample> Rules,
    IReadOnlyList<NamespaceSample> Namespaces,
    IReadOnlyList<string> Problems,
    TimeSpan Duration)
{
    /// <summary>When the read started (for rates between two samples).</summary>
    public DateTimeOffset Taken { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>
/// Reads a lab's counters: every node's rule counters (one <c>iptables-save -c</c> or <c>nft list table</c> per node)
/// and every namespace's /proc counters, all at once, within <see cref="Timeout"/>. A source that fails or is too slow
/// becomes a problem line; the others are still reported.
/// </summary>
public sealed class LabSampler(ProcessRunner run)
{
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(4);

    public async Task<LabSample> SampleAsync(LabTargets targets, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var taken = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(Timeout);
        var problems = new List<string>();
        var rules = targets.Nodes.Select(n => Bound($"rules of node {n.Name} ({n.Netns})", ReadRulesAsync(n, bounded.Token), problems, bounded.Token)).ToList();
        var namespaces = targets.Namespaces.Select(n => Bound($"counters of namespace {n.Netns}",
            Task.Run(() => NamespaceReader.Read(n), bounded.Token), problems, bounded.Token)).ToList();
        var ruleSamples = await Task.WhenAll(rules).ConfigureAwait(false);
        var namespaceSamples = await Task.WhenAll(namespaces).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        return new LabSample(targets, [.. ruleSamples.OfType<NodeRuleSample>()], [.. namespaceSamples.OfType<NamespaceSample>()],
            [.. problems.Order(StringComparer.Ordinal)], clock.Elapsed) { Taken = taken };
    }

    private async Task<T?> Bound<T>(string source, Task<T?> read, List<string> problems, CancellationToken ct) where T : class
    {
        try
        {
            return await read.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Add(problems, $"{source}: not read within {Timeout.TotalSeconds:0.#} s");
        }
        catch (Exception e) when (e is CommandFailedException or ToolMissingException or IOException or UnauthorizedAccessException
                                      or Host.Netlink.NetlinkException)
        {
            Add(problems, $"{source}: {e.Message}");
        }
        return null;
    }

    private static void Add(List<string> problems, string problem)
    {
        lock (problems)
            problems.Add(problem);
    }

    private async Task<NodeRuleSample?> ReadRulesAsync(NodeTarget node, CancellationToken ct)
    {
        if (!node.Own && !Netns.Namespaces.Exists(node.Netns))
            return null;
        var rules = await ReadServiceRulesAsync(node, ct).ConfigureAwait(false);
        if (node.OvsDbSocket is null || !File.Exists(node.OvsDbSocket))
            return rules;
        var ovs = await run.RunAsync("ovs-vsctl", [$"--db=unix:{node.OvsDbSocket}", "--timeout=2", "--format=csv", "--data=bare", "--no-headings",
            "--columns=name,type,statistics", "list", "Interface"], cancellationToken: ct).ConfigureAwait(false);
        return rules with { OvsTunnels = KernelCounters.ParseOvsTunnels(ovs.StandardOutput) };
    }

    private async Task<NodeRuleSample> ReadServiceRulesAsync(NodeTarget node, CancellationToken ct)
    {
        if (node.Backend == RuleBackend.Nftables)
        {
            var (nft, arguments) = node.Command("nft", "list", "table", "ip", "netlab");
            var listing = await run.TryRunAsync(nft, arguments, cancellationToken: ct).ConfigureAwait(false);
            var elements = listing.Succeeded ? KernelCounters.ParseNftElements(listing.StandardOutput) : [];
            var (services, endpoints) = RuleCounterMatcher.FromNftables(node, elements);
            return new NodeRuleSample(node.Name, node.Backend, elements.Count > 0, services, endpoints);
        }
        var save = node.Backend == RuleBackend.IptablesLegacy ? "iptables-legacy-save" : "iptables-nft-save";
        var (program, argv) = node.Command(save, "-c");
        var text = await run.RunAsync(program, argv, cancellationToken: ct).ConfigureAwait(false);
        var counted = KernelCounters.ParseIptablesSave(text.StandardOutput);
        var (s, e) = RuleCounterMatcher.FromIptables(node, counted);
        return new NodeRuleSample(node.Name, node.Backend, counted.Count > 0, s, e);
    }
}
