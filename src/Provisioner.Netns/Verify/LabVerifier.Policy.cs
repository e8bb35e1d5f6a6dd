using System.Collections.Concurrent;
using System.Net;
using Provisioner.Host.Iproute;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Core.Policy;
using Provisioner.Core.Validation;
using Provisioner.Core.Verification;

namespace Provisioner.Netns.Verify;

public sealed partial class LabVerifier
{
    /// <summary>The matrix of the last run (null without NetworkPolicies), for the CLI to print as a grid.</summary>
    public ReachabilityMatrix? Matrix { get; private set; }

    private PolicyEvaluator Policies => new(Lab);

    /// <summary>Pods no policy selects: the connectivity layers probe only these, the policy layer every pod.</summary>
    private bool Unisolated(PodSpec pod) =>
        !Policies.Selecting(pod, PolicyType.Ingress).Any() && !Policies.Selecting(pod, PolicyType.Egress).Any() && !_isolatedByTheKernelOnly.Contains(pod.Name);

    /// <summary>Pods the nodes' policy rules isolate though no policy of the stack selects them (read at the start of a run).</summary>
    private IReadOnlySet<string> _isolatedByTheKernelOnly = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// The pods that have a policy chain on their node while the stack's policies select none of them: a policy the
    /// kernel enforces and the stack does not have (applied by hand, or left behind). They are the policy layer's to
    /// probe, not the connectivity layers', whose failures would blame DNS or the service rules for a policy's reject.
    /// </summary>
    private async Task<IReadOnlySet<string>> IsolatedByTheKernelOnlyAsync(CancellationToken ct)
    {
        var nft = Lab.Network.ServiceRules == RuleBackend.Nftables;
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in Lab.Pods.Where(p => !ClusterDns.IsDnsPod(p) && !Policies.Selecting(p, PolicyType.Ingress).Any() && !Policies.Selecting(p, PolicyType.Egress).Any())
            .GroupBy(p => p.Node))
        {
            var listing = (await Run.TryRunAsync(NetnsExec.Ip, NetnsExec.Command(layout.NodeNamespace(node.Key), nft
                ? ["nft", "list", "table", "ip", ServiceRules.Policy.PolicyChainNames.NftTable]
                : ["iptables-nft-save", "-t", "filter"]), cancellationToken: ct).ConfigureAwait(false)).StandardOutput;
            foreach (var pod in node)
            {
                var id = $"{pod.Namespace}/{pod.Name}";
                bool Has(bool ingress) => listing.Contains(nft
                    ? $"chain {ServiceRules.Policy.PolicyChainNames.Nft(id, ingress)} {{"
                    : $":{ServiceRules.Policy.PolicyChainNames.Iptables(id, ingress)} ", StringComparison.Ordinal);
                if (Has(ingress: true) || Has(ingress: false))
                    found.Add(pod.Name);
            }
        }
        return found;
    }

    /// <summary>
    /// The policy layer: every user pod to every pod's port, to cluster DNS through its Service (UDP), and to each
    /// Service's ClusterIP port; expected from <see cref="PolicyEvaluator"/>, observed with real connections. One
    /// check per source pod; a mismatch names the cell, what the policies say (policy and rule) and what was seen.
    /// </summary>
    private async Task<IEnumerable<VerifyCheck>> PolicyAsync(CancellationToken ct)
    {
        if (Lab.NetworkPolicies.IsEmpty && _isolatedByTheKernelOnly.Count == 0)
            return [];
        var matrix = await ReachabilityAsync(ct).ConfigureAwait(false);
        Matrix = matrix;
        return matrix.Sources.Select(source =>
        {
            var row = matrix.Cells.Where(c => c.From == source && !c.Skipped).ToList();
            var wrong = row.Where(c => !c.Matches).ToList();
            var pod = Lab.Pods.First(p => p.Name == source);
            return new VerifyCheck(Layer.Policy, $"pod {source} -> {row.Count} targets", wrong.Count == 0,
                wrong.Count == 0
                    ? $"as the policies say: {row.Count(c => c.Observed == true)} answered, {row.Count(c => c.Observed == false)} blocked"
                    : string.Join("; ", wrong.Select(c => $"{c.To.Label}: expected {ReachabilityMatrix.Describe(c.Expected!)}, but {c.Detail}"))
                        + (_isolatedByTheKernelOnly.Contains(source)
                            ? $"; the rules on {pod.Node} isolate {source} though no policy of the stack selects it (netlab plan lists them, netlab up removes them)"
                            : ""),
                $"netlab explain policy {source}; ip netns exec {layout.NodeNamespace(pod.Node)} {PolicyRuleDump}");
        });
    }

    private string PolicyRuleDump => Lab.Network.ServiceRules == RuleBackend.Iptables ? "iptables-save -t filter | grep NETLAB-POL" : "nft list table ip netlab-policy";

    public async Task<ReachabilityMatrix> ReachabilityAsync(CancellationToken ct = default)
    {
        var evaluator = Policies;
        var sources = Lab.Pods.Where(p => !ClusterDns.IsDnsPod(p)).ToList();
        var endpoints = Lab.Pods.ToDictionary(p => p.Name, p => new PolicyEndpoint.Pod(p, podAddress(p.Name)), StringComparer.Ordinal);
        var targets = new List<(MatrixTarget Target, IPAddress? Address, IReadOnlyList<PodSpec> Backends)>();
        foreach (var pod in sources)
        {
            foreach (var port in PodPorts.Served(pod))
                targets.Add((new MatrixTarget($"{pod.Name}:{port.Number}", port), podAddress(pod.Name), [pod]));
        }
        if (Lab.Pods.FirstOrDefault(ClusterDns.IsDnsPod) is { } dns)
            targets.Add((new MatrixTarget($"dns:{ClusterDns.Port}/udp", PodPorts.Served(dns)[0]), plan.Addresses.ClusterDns, [dns]));
        foreach (var service in UserServicesAll.Where(s => s.ClusterIP is not null))
        {
            var backends = Lab.Pods.Where(p => LabValidator.Selects(service.Spec, p)).ToList();
            foreach (var port in service.Ports.Where(p => p.Protocol == TransportProtocol.TCP && backends.Count > 0))
                targets.Add((new MatrixTarget($"svc/{service.Spec.Name}:{port.Port}", new ServedPort(port.Name, port.Port, TransportProtocol.TCP)), service.ClusterIP, backends));
        }

        var cells = new ConcurrentBag<MatrixCell>();
        var work = sources.SelectMany(s => targets.Select(t => (Source: s, t.Target, t.Address, t.Backends)));
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (item, c) =>
        {
            var from = endpoints[item.Source.Name];
            // Policies see the connection after DNAT: the expectation is the backend's, when every backend agrees.
            var verdicts = item.Backends.Where(b => b.Name != item.Source.Name)
                .Select(b => evaluator.Check(from, endpoints[b.Name], PortOf(item, b), item.Target.Port.Protocol)).ToList();
            if (verdicts.Count == 0 || verdicts.Select(v => v.Allowed).Distinct().Count() > 1 || item.Address is null)
            {
                cells.Add(new MatrixCell(item.Source.Name, item.Target, null, null, "not probed"));
                return;
            }
            var (observed, detail) = await ObserveAsync(item.Source, item.Target, item.Address, item.Backends, c).ConfigureAwait(false);
            cells.Add(new MatrixCell(item.Source.Name, item.Target, verdicts[0], observed, detail));
        }).ConfigureAwait(false);
        return new ReachabilityMatrix([.. sources.Select(s => s.Name)], [.. targets.Select(t => t.Target)], [.. cells]);
    }

    private IEnumerable<PlannedService> UserServicesAll => plan.Addresses.Services.Where(s => !ClusterDns.IsDnsService(s.Spec));

    /// <summary>A Service port reaches its backend on the target port; a pod's port is itself.</summary>
    private int PortOf((PodSpec Source, MatrixTarget Target, IPAddress? Address, IReadOnlyList<PodSpec> Backends) item, PodSpec backend) =>
        item.Target.Label.StartsWith("svc/", StringComparison.Ordinal)
            ? plan.Addresses.Services.SelectMany(s => s.Ports.Where(p => s.ClusterIP?.Equals(item.Address) == true && p.Port == item.Target.Port.Number))
                .Select(p => p.EffectiveTargetPort).FirstOrDefault(backend.Port)
            : item.Target.Port.Number;

    private async Task<(bool Observed, string Detail)> ObserveAsync(PodSpec source, MatrixTarget target, IPAddress address, IReadOnlyList<PodSpec> backends, CancellationToken ct)
    {
        var podNs = layout.PodNamespace(source.Name);
        if (target.Port.Protocol == TransportProtocol.UDP)
        {
            return await DnsCellAsync(podNs, address, ct).ConfigureAwait(false);
        }
        var (body, error) = await probe.HttpGetAsync(podNs, address, target.Port.Number, ct).ConfigureAwait(false);
        var answeredBy = body?.Split(' ')[0];
        return answeredBy is not null && backends.Any(b => b.Name == answeredBy)
            ? (true, $"answered by {answeredBy}")
            : (false, error ?? $"answered '{body}'");
    }

    /// <summary>How long a DNS cell keeps asking before it counts as lost: see <see cref="DnsCellAsync"/>.</summary>
    public static readonly TimeSpan DnsCellDeadline = TimeSpan.FromSeconds(12);

    /// <summary>
    /// A DNS query through the Service, asked again (a new dig, so a new source port and a new conntrack entry and
    /// flow) until it is answered, refused at once (the policies' REJECT: dig reports the ICMP error), or
    /// <see cref="DnsCellDeadline"/> passes. One dig's 2 × 1 s was the matrix's whole bound before, and on the OVS
    /// fabric each query and reply passes the userspace datapath four times (pod → LOCAL → pod, both ways): the first
    /// packets of a new flow are upcalled to ovs-vswitchd and wait, with the node's ARP for the DNS pod, behind
    /// whatever else runs; at a load of 30 on two cores both tries of one dig once ran out.
    /// </summary>
    private async Task<(bool Observed, string Detail)> DnsCellAsync(string podNs, IPAddress address, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var asked = 0;
        string last;
        do
        {
            asked++;
            var result = await Run.TryRunAsync(NetnsExec.Ip, NetnsExec.Arguments(podNs, "dig", ["+short", "+time=2", "+tries=1", $"@{address}", $"dns-version.{Lab.Network.ClusterDomain}", "TXT"]),
                cancellationToken: ct).ConfigureAwait(false);
            var output = result.StandardOutput.Trim();
            if (result.Succeeded && output.Length > 0 && !output.Contains(";;", StringComparison.Ordinal))
                return (true, asked == 1 ? "DNS answered" : $"DNS answered (query {asked}, after {(DateTime.UtcNow - started).TotalSeconds:0.0} s)");
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (lines.FirstOrDefault(Refused) is { } refused) // ";; communications error to ...: host unreachable", then ";; no servers could be reached"
                return (false, $"refused: {refused.TrimStart(';', ' ')}");
            last = lines.LastOrDefault(l => l.StartsWith(";;", StringComparison.Ordinal)) ?? (output.Length > 0 ? output : $"dig exited {result.ExitCode}");
        }
        while (DateTime.UtcNow - started < DnsCellDeadline);
        return (false, $"no answer to {asked} queries in {(DateTime.UtcNow - started).TotalSeconds:0} s (last: {last.TrimStart(';', ' ')})");
    }

    private static bool Refused(string digLine) =>
        digLine.Contains("unreachable", StringComparison.OrdinalIgnoreCase) || digLine.Contains("refused", StringComparison.OrdinalIgnoreCase);
}
