using System.Net;
using Provisioner.Core.Planning;
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

    public string Describe => Protocol == ProbeProtocol.Icmp
        ? $"{FromName} ({FromAddress}) -> {ToName} ({ToAddress}), icmp echo"
        : $"{FromName} ({FromAddress}:{SourcePort}) -> {ToName} ({ToAddress}:{Port}/{Protocol4})";

    /// <summary>
    /// Resolves FROM (a pod or <c>outside</c>) and TO (a pod, service, node name or IP, optionally <c>:PORT</c>) in a lab.
    /// Bad input is a <see cref="LabInputException"/> naming what exists.
    /// </summary>
    public static ProbeSpec Resolve(LabPlan plan, LabLayout layout, Func<string, string?> podAddress, string from, string to, ProbeProtocol protocol)
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
        else
            throw new LabInputException($"TO '{name}' is not a pod ({pods}), a service ({string.Join(", ", plan.Lab.Services.Select(s => s.Name))}), a node or an IP address");
        return new ProbeSpec(from, fromNetns, fromAddress, fromNode, name, address, port ?? defaultPort, protocol, Random.Shared.Next(40000, 60000));
    }
}
