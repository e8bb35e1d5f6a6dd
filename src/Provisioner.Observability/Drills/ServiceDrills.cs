using System.Globalization;
using Provisioner.Core.Planning;
using Provisioner.Core.Verification;
using Provisioner.Netns.Verify;

namespace Provisioner.Observability.Drills;

/// <summary>Drills in the service layer: a rule in front of the service rules, and NAT state that outlived its endpoint.</summary>
internal static class ServiceDrills
{
    public static IEnumerable<Drill> For(DrillLab lab)
    {
        var plan = lab.Plan;
        var nodes = plan.Addresses.Nodes;
        if (plan.Addresses.Services.FirstOrDefault(s => s.ClusterIP is not null && s.Ports.Length > 0 && !ClusterDns.IsDnsService(s.Spec)) is { } service)
        {
            var port = service.Ports[0];
            string[] rule = ["-d", $"{service.ClusterIP}/32", "-p", port.Protocol.ToString().ToLowerInvariant(), "--dport", port.Port.ToString(CultureInfo.InvariantCulture),
                "-m", "comment", "--comment", "netlab drill", "-j", "DROP"];
            yield return new Drill("service-blackhole",
                $"Connections to service {service.Spec.Name} ({service.ClusterIP}:{port.Port}) hang and time out, from every pod; its pods answer when called directly.",
                nameof(Layer.ServiceRules),
                [.. nodes.Select(n => lab.InNode(n.Node.Name, ["iptables-nft", "-t", "mangle", "-I", "PREROUTING", "1", .. rule]))],
                [.. nodes.Select(n => lab.InNode(n.Node.Name, ["iptables-nft", "-t", "mangle", "-D", "PREROUTING", .. rule]))],
                UpRepairs: false,
                $"A DROP rule for {service.ClusterIP}:{port.Port} in the mangle table's PREROUTING chain of every node, before the service rules' DNAT " +
                "(iptables-save -t mangle). It is not netlab's rule, so `netlab up` leaves it; `netlab drill stop` removes it.");
        }
        if (StaleUdp(lab) is { } stale)
            yield return stale;
    }

    /// <summary>
    /// The DNS pod "moved" and nobody flushed the UDP NAT state: a conntrack entry for a client's long-lived UDP flow to
    /// the DNS service still points at the address the DNS pod had before. UDP has no handshake to fail, so every
    /// datagram of that flow keeps the entry alive and keeps going to the old address; kube-proxy deletes such entries
    /// (conntrack -D) when a UDP endpoint goes away.
    /// </summary>
    private static Drill? StaleUdp(DrillLab lab)
    {
        var plan = lab.Plan;
        var dns = plan.Lab.Pods.FirstOrDefault(ClusterDns.IsDnsPod);
        if (dns is null)
            return null;
        var client = lab.UserPods.FirstOrDefault(p => p.Node == dns.Node) ?? lab.UserPods.FirstOrDefault();
        if (client is null)
            return null;
        if (lab.PodAddress(client.Name) is not { } address)
            return null;
        var node = client.Node;
        var vip = plan.Addresses.ClusterDns.ToString();
        var old = plan.Addresses.Node(dns.Node).RangeEnd.ToString(); // the last address of the DNS node's range: no pod of a small lab has it
        var sport = LabVerifier.StableUdpPort.ToString(CultureInfo.InvariantCulture);
        return new Drill("stale-udp",
            $"In pod {client.Name}, DNS queries from a client that keeps its UDP source port (dig -b 0.0.0.0#{sport} ...) get no answer, " +
            $"while ordinary lookups, which take a new source port each time, answer; the DNS pod itself answers.",
            nameof(Layer.ServiceRules),
            [lab.InNode(node, "conntrack", "-D", "-p", "udp", "-s", address, "--orig-port-src", sport) with { MayFail = true }, // verify's own entry for the flow
             lab.InNode(node, "conntrack", "-I", "-p", "udp", "-s", address, "-d", vip, "--sport", sport, "--dport", "53", "--dst-nat", $"{old}:53",
                "--timeout", "3600", "--status", "ASSURED,SEEN_REPLY,FIXED_TIMEOUT")],
            [lab.InNode(node, "conntrack", "-D", "-p", "udp", "-s", address, "--orig-port-src", sport)],
            UpRepairs: false,
            $"A conntrack entry on {node} for {client.Name}:{sport} -> {vip}:53/udp (kube-dns) whose reply comes from {old}:53, the DNS pod's address " +
            $"before it moved. Packets of an existing flow follow their entry, not the service rules, so they go to {old} while new flows go to the DNS pod; " +
            $"kube-proxy flushes such entries when a UDP endpoint goes away. `ip netns exec {lab.NodeNs(node)} conntrack -L -p udp --orig-port-src {sport}`.");
    }
}
