using System.Collections.Frozen;
using System.Globalization;
using System.Net;
using Provisioner.Core.Config;
using Provisioner.Core.Model;
using static Provisioner.Core.Config.ConfigKeys;

namespace Provisioner.Core.Validation;

public static partial class LabValidator
{
    /// <summary>Ports a VM node already serves: netlab-proxy's metrics and healthz, the kubelet, the control plane's.</summary>
    private static readonly FrozenDictionary<int, string> TakenNodePorts = new Dictionary<int, string>
    {
        [10249] = "netlab-proxy's /metrics", [10256] = "netlab-proxy's /healthz", [10250] = "the kubelet", [6443] = "the kube-apiserver",
        [2379] = "etcd", [2380] = "etcd", [10257] = "the kube-controller-manager", [10259] = "the kube-scheduler",
    }.ToFrozenDictionary();

    /// <summary><c>network.exporterBindAddress</c>: an IPv4 ADDRESS:PORT that no other component of a node listens on.</summary>
    private static void CheckExporter(List<ConfigProblem> problems, NetworkSpec n)
    {
        var key = NetworkKeys.Path(NetworkKeys.ExporterBindAddress);
        var fix = ConfigKeys.SetCommand(key, NetworkSpec.DefaultExporterBindAddress);
        if (!IPEndPoint.TryParse(n.ExporterBindAddress, out var endpoint) || endpoint.Port == 0
            || endpoint.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || !n.ExporterBindAddress.Contains(':', StringComparison.Ordinal))
            problems.Add(new ConfigProblem(key, n.ExporterBindAddress, "is not an IPv4 ADDRESS:PORT for netlab-metrics to listen on", fix));
        else if (TakenNodePorts.TryGetValue(endpoint.Port, out var owner))
            problems.Add(new ConfigProblem(key, n.ExporterBindAddress,
                $"port {endpoint.Port.ToString(CultureInfo.InvariantCulture)} is {owner} on every node", fix));
    }
}
