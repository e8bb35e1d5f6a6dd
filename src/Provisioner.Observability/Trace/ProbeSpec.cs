using System.Net;
using Provisioner.Core.Planning;
using Provisioner.Host.Iproute;
using Provisioner.Netns;

namespace Provisioner.Observability.Trace;

public enum ProbeProtocol { Tcp, Udp, Icmp }

/// <summary>
/// One probe: where it starts (a pod's or the outside client's namespace, with its address and node), where it goes,
/// and the source port that makes it unique (the temporary trace rules match only that port).
/// </summary>
public sealed record ProbeSpec(string FromName, string FromNetns, IPAddress FromAddress, string? FromNode,
    string ToName, IPAddress ToAddress, int Port, ProbeProtocol Protocol, int SourcePort)
{
    public string Protocol4 => Protocol.ToString().ToLowerInvariant();

    /// <summary>An ICMP probe's packet size (IP header included), sent with don't-fragment; null for a small ping.</summary>
    public int? Size { get; init; }

    /// <summary>How TO was looked up when it is a DNS name (through the pod's resolv.conf), and what came of it.</summary>
    public string? Lookup { get; init; }

    public string Describe => Protocol == ProbeProtocol.Icmp
        ? $"{FromName} ({FromAddress}) -> {ToName} ({ToAddress}), icmp echo{(Size is { } size ? $", {size} bytes, don't fragment" : "")}"
        : $"{FromName} ({FromAddress}:{SourcePort}) -> {ToName} ({ToAddress}:{Port}/{Protocol4})";

    /// <summary>
    /// Resolves FROM (a pod or <c>outside</c>) and TO (a pod, service, node name or IP, optionally <c>:PORT</c>) in a lab.
    /// Bad input is a <see cref="LabInputException"/> naming what exists. Any other name is a DNS name when FROM is a pod:
    /// <paramref name="lookup"/> resolves it in the pod (with its resolv.conf); when it does not resolve, the probe is the
    /// lookup itself, a DNS query to the pod's nameserver, so the trace shows where that dies.
    /// </summary>
    public static ProbeSpec Resolve(LabPlan plan, LabLayout layout, Func<string, string?> podAddress, string from, string to, ProbeProtocol protocol,
        int? sourcePort = null, Func<string, string, IPAddress?>? lookup = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(to);
        var pods = string.Join(", ", plan.Lab.Pods.Select(p => p.Name));
        var (fromNetns, fromAddress, fromNode) = from == "outside"
            ? (layout.OutsideNamespace, plan.Addresses.OutsideAddress, (string?)null)
            : plan.Lab.Pods.FirstOrDefault(p => p.Name == from) is { } pod
                ? (layout.PodNamespace(pod.Name), IPAddress.Parse(podAddress(pod.Name)
                    ?? throw new LabInputException($"pod '{from}' has no address (is the lab up? sudo netlab up)")), pod.Node)
                : throw new LabInputException($"FROM '{from}' is neither a pod ({pods}) nor 'outside'");

        var (name, portText) = to.LastIndexOf(':') is var colon and > 0 ? (to[..colon], to[(colon + 1)..]) : (to, null);
        int? port = portText is null ? null
            : int.TryParse(portText, out var p) && p is > 0 and < 65536 ? p : throw new LabInputException($"'{portText}' in '{to}' is not a port (1-65535)");
        IPAddress address;
        int defaultPort;
        if (plan.Lab.Pods.FirstOrDefault(x => x.Name == name) is { } target)
            (address, defaultPort) = (IPAddress.Parse(podAddress(target.Name) ?? throw new LabInputException($"pod '{name}' has no address")), target.Port);
        else if (plan.Addresses.Services.FirstOrDefault(s => s.Spec.Name == name) is { ClusterIP: { } vip } service)
            (address, defaultPort) = (vip, service.Ports.FirstOrDefault()?.Port ?? 80);
        else if (plan.Addresses.Nodes.FirstOrDefault(n => n.Node.Name == name) is { } node)
            (address, defaultPort) = (node.UnderlayAddress, plan.Addresses.Services.SelectMany(s => s.Ports).FirstOrDefault(x => x.NodePort != 0)?.NodePort ?? 80);
        else if (IPAddress.TryParse(name, out var ip))
            (address, defaultPort) = (ip, 80);
        else if (fromNode is not null && lookup is not null && name.Contains('.', StringComparison.Ordinal))
            return Looked(from, fromNetns, fromAddress, fromNode, name, port, protocol, sourcePort, lookup);
        else
            throw new LabInputException($"TO '{name}' is not a pod ({pods}), a service ({string.Join(", ", plan.Lab.Services.Select(s => s.Name))}), a node, an IP address" +
                " or a DNS name with a dot (from a pod)");
        return new ProbeSpec(from, fromNetns, fromAddress, fromNode, name, address, port ?? defaultPort, protocol, sourcePort ?? RandomPort());
    }

    private static int RandomPort() => Random.Shared.Next(40000, 60000);

    private static ProbeSpec Looked(string from, string fromNetns, IPAddress fromAddress, string fromNode, string name, int? port, ProbeProtocol protocol,
        int? sourcePort, Func<string, string, IPAddress?> lookup)
    {
        var resolvConf = LabLayout.ResolvConfPath(fromNetns);
        var nameserver = File.Exists(resolvConf)
            ? File.ReadLines(resolvConf).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).FirstOrDefault(f => f is ["nameserver", _])?[1]
            : null;
        if (lookup(fromNetns, name) is { } resolved)
            return new ProbeSpec(from, fromNetns, fromAddress, fromNode, name, resolved, port ?? 80, protocol, sourcePort ?? RandomPort())
            {
                Lookup = $"{name} resolved to {resolved} (nameserver {nameserver ?? "?"} from {resolvConf})",
            };
        if (nameserver is null || !IPAddress.TryParse(nameserver, out var server))
            throw new LabInputException($"'{name}' does not resolve in pod {from}, and {resolvConf} names no nameserver. Fix: sudo netlab up");
        return new ProbeSpec(from, fromNetns, fromAddress, fromNode, $"nameserver {server}", server, 53, ProbeProtocol.Udp, sourcePort ?? RandomPort())
        {
            Lookup = $"{name} does not resolve in pod {from}: tracing its DNS query to nameserver {server}, the one {resolvConf} names",
        };
    }

    /// <summary>A name looked up inside a pod as its programs would (dig with the pod's resolv.conf and search path).</summary>
    public static IPAddress? Dig(Host.Processes.ProcessRunner run, string netns, string name)
    {
        ArgumentNullException.ThrowIfNull(run);
        var result = run.TryRunAsync(NetnsExec.Ip, NetnsExec.Command(netns, ["dig", "+short", "+search", "+time=1", "+tries=2", name])).GetAwaiter().GetResult();
        return result.StandardOutput.Split('\n', StringSplitOptions.TrimEntries)
            .Select(l => IPAddress.TryParse(l, out var a) ? a : null).LastOrDefault(a => a is not null);
    }
}
