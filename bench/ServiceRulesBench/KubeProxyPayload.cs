using System.Globalization;
using System.Text;
using Provisioner.ServiceRules.Naming;

/// <summary>
/// A kube-proxy-shaped iptables-restore payload, generated here for the same services netlab's rows use: what
/// kube-proxy's iptables proxier (pkg/proxy/iptables/proxier.go) writes with --noflush: KUBE-SERVICES → KUBE-SVC-* →
/// KUBE-SEP-* → DNAT, chain names from the same portProtoHash. A full sync declares and fills every chain; a partial
/// sync (kube-proxy 1.26+) rewrites the top-level chains and only the changed services' SVC/SEP chains.
/// </summary>
internal static class KubeProxyPayload
{
    public static string Full(int count) => Build(count, changed: null, partial: false);

    /// <summary>A partial sync after service <paramref name="changed"/> got a new endpoint set (null: nothing changed).</summary>
    public static string Partial(int count, int? changed) => Build(count, changed, partial: true);

    private static string Build(int count, int? changed, bool partial)
    {
        var text = new StringBuilder();
        text.Append("*filter\n:KUBE-SERVICES - [0:0]\n:KUBE-EXTERNAL-SERVICES - [0:0]\n:KUBE-FORWARD - [0:0]\n:KUBE-PROXY-FIREWALL - [0:0]\n");
        text.Append("-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP\n");
        text.Append("-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding rules\" -m mark --mark 0x4000/0x4000 -j ACCEPT\n");
        text.Append("-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n");
        text.Append("COMMIT\n*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-NODEPORTS - [0:0]\n:KUBE-POSTROUTING - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n");
        var services = new List<(string Name, string Ip, string Svc, List<(string Sep, string Endpoint)> Endpoints)>();
        for (var i = 0; i < count; i++)
        {
            var name = $"bench/svc-{i}:http";
            var endpoints = Endpoints(i, i == changed).Select(e => (ChainNames.PortProtoHash(name, "tcp" + e), e)).Select(p => ("KUBE-SEP-" + p.Item1, p.e)).ToList();
            services.Add((name, $"10.96.{i / 250}.{i % 250 + 1}", "KUBE-SVC-" + ChainNames.PortProtoHash(name, "tcp"), endpoints));
        }
        var written = services.Where((_, i) => !partial || i == changed).ToList();
        var stale = partial && changed is { } c
            ? Endpoints(c, false).Except(Endpoints(c, true)).Select(e => "KUBE-SEP-" + ChainNames.PortProtoHash(services[c].Name, "tcp" + e)).ToList()
            : [];
        foreach (var chain in stale)
            text.Append(':').Append(chain).Append(" - [0:0]\n"); // declared (flushed) so it can be deleted
        foreach (var s in written)
        {
            text.Append(':').Append(s.Svc).Append(" - [0:0]\n");
            foreach (var (sep, _) in s.Endpoints)
                text.Append(':').Append(sep).Append(" - [0:0]\n");
        }
        text.Append("-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\n-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000\n");
        text.Append("-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully\n");
        text.Append("-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\n");
        foreach (var s in services)
            text.Append($"-A KUBE-SERVICES -m comment --comment \"{s.Name} cluster IP\" -m tcp -p tcp -d {s.Ip} --dport 80 -j {s.Svc}\n");
        foreach (var s in written)
        {
            text.Append($"-A {s.Svc} -m comment --comment \"{s.Name} cluster IP\" -m tcp -p tcp -d {s.Ip} --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ\n");
            for (var j = 0; j < s.Endpoints.Count; j++)
            {
                var probability = j < s.Endpoints.Count - 1
                    ? " -m statistic --mode random --probability " + (1.0 / (s.Endpoints.Count - j)).ToString("0.0000000000", CultureInfo.InvariantCulture)
                    : "";
                text.Append($"-A {s.Svc} -m comment --comment \"{s.Name} -> {s.Endpoints[j].Endpoint}\"{probability} -j {s.Endpoints[j].Sep}\n");
            }
            foreach (var (sep, endpoint) in s.Endpoints)
            {
                text.Append($"-A {sep} -m comment --comment {s.Name} -s {endpoint.Split(':')[0]}/32 -j KUBE-MARK-MASQ\n");
                text.Append($"-A {sep} -m comment --comment {s.Name} -m tcp -p tcp -j DNAT --to-destination {endpoint}\n");
            }
        }
        text.Append("-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS\n");
        foreach (var chain in stale)
            text.Append("-X ").Append(chain).Append('\n');
        return text.Append("COMMIT\n").ToString();
    }

    /// <summary>The same endpoints as netlab's bench table: 3 per service; the changed one swaps its last endpoint.</summary>
    private static IEnumerable<string> Endpoints(int i, bool changed) =>
        Enumerable.Range(0, 3).Select(j => changed && j == 2 ? "10.250.0.1:8080" : $"10.244.{i / 80}.{i % 80 * 3 + j + 1}:8080");
}
