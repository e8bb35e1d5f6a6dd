using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using Provisioner.Host.Processes;
using Provisioner.Multipass;
using Provisioner.VmLab.Cluster;

namespace Provisioner.VmLab.Verify;

/// <summary>
/// The traffic <c>netlab verify</c> sends on the VM lab, from where a learner would send it: <c>multipass exec VM --</c>
/// for a node, <c>kubectl exec POD --</c> for a pod (agnhost's ping, curl and nslookup), this machine for NodePorts.
/// Each returns the answer or why there is none; a hung command is stopped at its deadline.
/// </summary>
public sealed class VmProbes(ProcessRunner runner, Kubectl kubectl, IHostHttp hostHttp, string multipass = MultipassDriver.Program)
{
    /// <summary>kubectl exec and multipass exec add their own setup time to the probe's.</summary>
    public static readonly TimeSpan ExecTimeout = TimeSpan.FromSeconds(15);

    public const int HttpSeconds = 2;

    public Kubectl Kubectl => kubectl;

    public async Task<(bool Answered, string Detail)> PingFromVmAsync(string vm, IPAddress target, CancellationToken ct = default) =>
        ProbeOutputs.Ping(await TimedRun.TryRunAsync(runner, multipass, MultipassDriver.ExecArguments(vm, PingCommand(target)), ExecTimeout, ct: ct)
            .ConfigureAwait(false));

    public async Task<(bool Answered, string Detail)> PingFromPodAsync(string pod, string ns, IPAddress target, CancellationToken ct = default) =>
        ProbeOutputs.Ping(await kubectl.ExecAsync(pod, ns, PingCommand(target), ExecTimeout, ct).ConfigureAwait(false));

    /// <summary>GET <c>http://ADDRESS:PORT/PATH</c> with curl inside the pod.</summary>
    public async Task<(string? Body, string? Error)> HttpFromPodAsync(string pod, string ns, IPAddress address, int port, string path, CancellationToken ct = default) =>
        ProbeOutputs.Http(await kubectl.ExecAsync(pod, ns, HttpCommand(address, port, path), ExecTimeout, ct).ConfigureAwait(false));

    public async Task<(ImmutableArray<IPAddress> Addresses, string? Error)> LookupFromPodAsync(string pod, string ns, string name, CancellationToken ct = default) =>
        ProbeOutputs.Nslookup(await kubectl.ExecAsync(pod, ns, ["nslookup", name], ExecTimeout, ct).ConfigureAwait(false));

    public Task<(string? Body, string? Error)> HttpFromHostAsync(IPAddress address, int port, string path, CancellationToken ct = default) =>
        hostHttp.GetAsync(address, port, path, ct);

    /// <summary>The VM's default gateway: Multipass's side of its network, i.e. this machine, outside the cluster.</summary>
    public async Task<IPAddress?> DefaultGatewayAsync(string vm, CancellationToken ct = default)
    {
        var result = await TimedRun.TryRunAsync(runner, multipass, MultipassDriver.ExecArguments(vm, ["ip", "-4", "route", "show", "default"]), ExecTimeout, ct: ct)
            .ConfigureAwait(false);
        return result.Succeeded ? ProbeOutputs.DefaultGateway(result.StandardOutput) : null;
    }

    /// <summary>The VM as <c>multipass info</c> describes it; null when Multipass has no such VM.</summary>
    public async Task<MultipassInstance?> InfoAsync(string vm, CancellationToken ct = default) =>
        await new MultipassDriver(runner.WithTimeout(ExecTimeout), multipass).InfoAsync(vm, ct).ConfigureAwait(false);

    public static IReadOnlyList<string> PingCommand(IPAddress target) => ["ping", "-c", "1", "-W", "2", target.ToString()];

    public static IReadOnlyList<string> HttpCommand(IPAddress address, int port, string path) =>
        ["curl", "-sS", "--max-time", HttpSeconds.ToString(CultureInfo.InvariantCulture), $"http://{address}:{port}{path}"];
}
