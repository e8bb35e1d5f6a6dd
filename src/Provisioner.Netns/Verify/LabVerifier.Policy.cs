using System.Collections.Concurrent;
using System.Net;
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
        !Policies.Selecting(pod, PolicyType.Ingress).Any() && !Policies.Selecting(pod, PolicyType.Egress).Any();

    /// <summary>
    /// The policy layer: every user pod to every pod's port, to cluster DNS through its Service (UDP), and to each
    /// Service's ClusterIP port; expected from <see cref="PolicyEvaluator"/>, observed with real connections. One
    /// check per source pod; a mismatch names the cell, what the policies say (policy and rule) and what was seen.
    /// </summary>
    private async Task<IEnumerable<VerifyCheck>> PolicyAsync(CancellationToken ct)
    {
        if (Lab.NetworkPolicies.IsEmpty)
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
                    : string.Join("; ", wrong.Select(c => $"{c.To.Label}: expected {ReachabilityMatrix.Describe(c.Expected!)}, but {c.Detail}")),
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
            var answer = await DigAsync(podNs, [$"@{address}", $"dns-version.{Lab.Network.ClusterDomain}", "TXT"], ct).ConfigureAwait(false);
            return answer is [_] ? (true, "DNS answered") : (false, Describe(answer));
        }
        var (body, error) = await probe.HttpGetAsync(podNs, address, target.Port.Number, ct).ConfigureAwait(false);
        var answeredBy = body?.Split(' ')[0];
        return answeredBy is not null && backends.Any(b => b.Name == answeredBy)
            ? (true, $"answered by {answeredBy}")
            : (false, error ?? $"answered '{body}'");
    }
}
