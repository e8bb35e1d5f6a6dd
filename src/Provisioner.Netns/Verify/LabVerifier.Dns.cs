using Provisioner.Core.Verification;
using System.Net;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Host.Iproute;

namespace Provisioner.Netns.Verify;

public sealed partial class LabVerifier
{
    /// <summary>
    /// The DNS layer, link by link from a pod, with <c>dig</c> as a learner would run it: the pod's resolv.conf, the DNS
    /// pod answering directly, the DNS service rule (UDP and TCP), then the records: a short name through the search
    /// path, FQDNs, headless sets, SRV and ExternalName CNAMEs. The first failed link is where DNS broke.
    /// </summary>
    private async Task<IEnumerable<VerifyCheck>> DnsAsync(CancellationToken ct)
    {
        var checks = new List<VerifyCheck>();
        var dnsPod = Lab.Pods.FirstOrDefault(ClusterDns.IsDnsPod);
        if (dnsPod is null)
            return checks;
        // The links from one pod on every node (each node has its own copy of the DNS service rule), the records once.
        foreach (var client in UserPods.GroupBy(p => p.Node).Select(g => g.First()))
            checks.AddRange(await DnsLinksAsync(client, dnsPod, ct).ConfigureAwait(false));
        if (UserPods.FirstOrDefault() is { } first)
            checks.AddRange(await RecordChecksAsync(first, layout.PodNamespace(first.Name), Lab.Network.ClusterDomain, $"tail {layout.DnsLogPath}; cat {layout.DnsRecordsPath}", ct).ConfigureAwait(false));
        return checks;
    }

    private async Task<IEnumerable<VerifyCheck>> DnsLinksAsync(PodSpec client, PodSpec dnsPod, CancellationToken ct)
    {
        var checks = new List<VerifyCheck>();
        var zone = Lab.Network.ClusterDomain;
        var podNs = layout.PodNamespace(client.Name);
        var dnsIp = plan.Addresses.ClusterDns;
        var version = $"dns-version.{zone}";
        var logHint = $"tail {layout.DnsLogPath}; cat {layout.DnsRecordsPath}";

        var resolvPath = LabLayout.ResolvConfPath(podNs);
        var expected = ClusterDns.ResolvConf(dnsIp, client.Namespace, zone);
        var actual = File.Exists(resolvPath) ? await File.ReadAllTextAsync(resolvPath, ct).ConfigureAwait(false) : null;
        checks.Add(new VerifyCheck(Layer.Dns, $"pod {client.Name} resolv.conf", actual == expected,
            actual == expected ? $"nameserver {dnsIp}, search {string.Join(' ', ClusterDns.SearchPath(client.Namespace, zone))}, ndots:5"
                : actual is null ? $"{resolvPath} is missing (ip netns exec bind-mounts it over /etc/resolv.conf)" : $"{resolvPath} differs from what kubelet would write",
            $"cat {resolvPath}"));

        var dnsPodIp = podAddress(dnsPod.Name);
        var direct = dnsPodIp is null ? null : await DigAsync(podNs, [$"@{dnsPodIp}", version, "TXT"], ct).ConfigureAwait(false);
        var directOk = direct is [var v] && v.Trim('"') == ClusterDns.SchemaVersion;
        checks.Add(new VerifyCheck(Layer.Dns, $"pod {client.Name} -> DNS pod {dnsPod.Name} {dnsPodIp?.ToString() ?? "(no address)"}:53", directOk,
            directOk ? $"dnsmasq answered {version} TXT \"{ClusterDns.SchemaVersion}\"" : $"the DNS pod does not answer ({Describe(direct)})",
            $"ip netns pids {layout.PodNamespace(dnsPod.Name)}; {logHint}"));

        foreach (var transport in new[] { "udp", "tcp" })
        {
            string[] args = transport == "tcp" ? ["+tcp", $"@{dnsIp}", version, "TXT"] : [$"@{dnsIp}", version, "TXT"];
            var answer = await DigAsync(podNs, args, ct).ConfigureAwait(false);
            var ok = answer is [var a] && a.Trim('"') == ClusterDns.SchemaVersion;
            checks.Add(new VerifyCheck(Layer.Dns, $"pod {client.Name} -> service kube-dns {dnsIp}:53/{transport}", ok,
                ok ? "answered through the service rules" : directOk ? $"the DNS pod answers but the DNS service rule does not carry {transport} ({Describe(answer)})" : Describe(answer),
                $"netlab explain {ClusterDns.ServiceName}; ip netns exec {layout.NodeNamespace(client.Node)} {RuleDump}"));
        }
        return checks;
    }

    private async Task<IEnumerable<VerifyCheck>> RecordChecksAsync(PodSpec client, string podNs, string zone, string hint, CancellationToken ct)
    {
        var checks = new List<VerifyCheck>();
        async Task Expect(string what, string[] query, IEnumerable<string> wanted)
        {
            var answer = await DigAsync(podNs, query, ct).ConfigureAwait(false);
            var want = wanted.Order(StringComparer.Ordinal).ToList();
            var ok = answer is not null && answer.Order(StringComparer.Ordinal).SequenceEqual(want, StringComparer.OrdinalIgnoreCase);
            checks.Add(new VerifyCheck(Layer.Dns, $"pod {client.Name}: dig {string.Join(' ', query.Where(q => q != "+search"))}", ok,
                ok ? $"{what}: {string.Join(", ", want)}" : $"{what}: wanted {(want.Count == 0 ? "no answer" : string.Join(", ", want))}, got {Describe(answer)}", hint));
        }

        var withIp = UserServices.Where(s => s.ClusterIP is not null).ToList();
        if (withIp.FirstOrDefault(s => s.Spec.Namespace == client.Namespace) is { } near)
            await Expect("short name through the search path", ["+search", near.Spec.Name], [near.ClusterIP!.ToString()]).ConfigureAwait(false);
        foreach (var service in withIp)
            await Expect("ClusterIP", [Fqdn(service.Spec, zone)], [service.ClusterIP!.ToString()]).ConfigureAwait(false);
        foreach (var service in UserServices.Where(s => s.Spec.IsHeadless && s.Spec.Type != ServiceType.ExternalName))
            await Expect("ready endpoints", [Fqdn(service.Spec, zone)], Endpoints(service.Spec).Select(e => e.Address.ToString())).ConfigureAwait(false);
        foreach (var service in UserServices.Where(s => s.Spec.Type != ServiceType.ExternalName))
        {
            if (service.Ports.FirstOrDefault(p => !string.IsNullOrEmpty(p.Name)) is not { } port)
                continue;
            var fqdn = Fqdn(service.Spec, zone);
            var targets = service.ClusterIP is not null ? [fqdn]
                : Endpoints(service.Spec).Select(e => $"{Core.Dns.ClusterDnsRecords.EndpointHostname(e.Pod, service.Spec, e.Address)}.{fqdn}");
            await Expect("SRV", [$"_{port.Name}._{port.Protocol.ToString().ToLowerInvariant()}.{fqdn}", "SRV"],
                targets.Select(t => $"0 100 {port.Port} {t}.")).ConfigureAwait(false);
        }
        foreach (var service in UserServices.Where(s => s.Spec.Type == ServiceType.ExternalName))
            await Expect("CNAME", [Fqdn(service.Spec, zone), "CNAME"], [service.Spec.ExternalName + "."]).ConfigureAwait(false);
        return checks;
    }

    private static string Fqdn(ServiceSpec s, string zone) => ClusterDns.ServiceFqdn(s.Name, s.Namespace, zone);

    private IEnumerable<(PodSpec Pod, IPAddress Address)> Endpoints(ServiceSpec service) =>
        Lab.Pods.Where(p => Core.Validation.LabValidator.Selects(service, p) && podAddress(p.Name) is not null).Select(p => (p, podAddress(p.Name)!));

    /// <summary><c>dig +short</c> inside the pod (so with its resolv.conf); null when no server answered.</summary>
    private async Task<IReadOnlyList<string>?> DigAsync(string netns, string[] query, CancellationToken ct)
    {
        var result = await Run.TryRunAsync(NetnsExec.Ip, NetnsExec.Arguments(netns, "dig", ["+short", "+time=1", "+tries=2", .. query]), cancellationToken: ct).ConfigureAwait(false);
        if (!result.Succeeded || result.StandardOutput.Contains(";;", StringComparison.Ordinal))
            return null;
        return [.. result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    private static string Describe(IReadOnlyList<string>? answer) =>
        answer is null ? "no server answered (timed out or unreachable)" : answer.Count == 0 ? "an empty answer (NXDOMAIN or no such record)" : string.Join(", ", answer);
}
