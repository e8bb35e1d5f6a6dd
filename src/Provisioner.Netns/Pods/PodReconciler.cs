using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Host.Processes;
using Provisioner.Netns.Cni;

namespace Provisioner.Netns.Pods;

/// <summary>
/// A lab pod: a namespace, its eth0 from netlab-cni (called as a runtime calls it), and its server process.
/// Drift it repairs: a missing namespace, an interface or address the plugin's CHECK rejects, a dead server.
/// </summary>
/// <param name="resolvConf">The resolv.conf kubelet would write into a pod; null for none (the DNS pod itself).</param>
public sealed class PodReconciler(ProcessRunner run, LabLayout layout, CniRuntime cni, PodSupervisor supervisor, Func<PodSpec, string?>? resolvConf = null)
{
    private readonly Namespaces _ns = new(run);

    public async Task<IReadOnlyList<Change>> PlanAsync(PodSpec pod, CancellationToken ct)
    {
        var step = LabPlan.PodId(pod.Name);
        var netns = layout.PodNamespace(pod.Name);
        var changes = new List<Change>();
        if (!Namespaces.Exists(netns))
        {
            changes.Add(new Change(step, $"create namespace {netns}", c => _ns.EnsureAsync(netns, c)));
            changes.Add(new Change(step, $"netlab-cni ADD {LabLayout.PodInterface} in {netns} on {pod.Node}", c => AddAsync(pod, c)));
        }
        else if (await CheckAsync(pod, ct).ConfigureAwait(false) is { } problem)
        {
            changes.Add(new Change(step, $"re-attach {netns}: {problem}", async c =>
            {
                await DeleteAttachmentAsync(pod, c).ConfigureAwait(false);
                await AddAsync(pod, c).ConfigureAwait(false);
            }));
        }
        if (resolvConf?.Invoke(pod) is { } wanted)
        {
            var path = LabLayout.ResolvConfPath(netns);
            if (!File.Exists(path) || File.ReadAllText(path) != wanted)
                changes.Add(new Change(step, $"write {path} ({wanted.Split('\n')[0]}; {wanted.Split('\n')[1]})", _ =>
                {
                    Directory.CreateDirectory(LabLayout.EtcDirectory(netns));
                    File.WriteAllText(path + ".tmp", wanted);
                    File.Move(path + ".tmp", path, overwrite: true);
                    return Task.CompletedTask;
                }));
        }
        if (ClusterDns.IsDnsPod(pod))
            return changes; // its server is dnsmasq, started with its records by the cluster DNS step
        if (supervisor.RunningPid(pod.Name) is null)
            changes.Add(new Change(step, $"start the server of {pod.Name} on port {pod.Port}", async c =>
            {
                supervisor.Start(pod.Name, pod.Port);
                await WaitUntilListeningAsync(pod, c).ConfigureAwait(false);
            }));
        return changes;
    }

    /// <summary>
    /// A pod step is done when its server accepts connections (a readiness probe): otherwise a Service would be
    /// given an endpoint that still refuses.
    /// </summary>
    private async Task WaitUntilListeningAsync(PodSpec pod, CancellationToken ct)
    {
        var probe = new Verify.Probe(run);
        var deadline = DateTime.UtcNow + ReadyTimeout;
        string? error = null;
        while (DateTime.UtcNow < deadline)
        {
            (_, error) = await probe.HttpGetAsync(layout.PodNamespace(pod.Name), System.Net.IPAddress.Loopback, pod.Port, ct).ConfigureAwait(false);
            if (error is null)
                return;
            if (supervisor.HasExited(pod.Name))
                break;
            await Task.Delay(25, ct).ConfigureAwait(false);
        }
        throw new InvalidOperationException($"the server of pod {pod.Name} did not answer on port {pod.Port} ({error}); see {layout.PodLogPath(pod.Name)}");
    }

    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Stops the pod's server (down: the rest goes with the namespaces).</summary>
    public void StopServer(string pod) => supervisor.Stop(pod);

    /// <summary>The pod's address from the plugin's cached ADD result, if it has one.</summary>
    public string? AddressOf(string pod)
    {
        var path = layout.PodResultPath(pod);
        return File.Exists(path) ? CniRuntime.Parse(File.ReadAllText(path)).Address.Split('/')[0] : null;
    }

    public async Task RemoveAsync(PodSpec pod, CancellationToken ct)
    {
        supervisor.Stop(pod.Name);
        if (Namespaces.Exists(layout.NodeNamespace(pod.Node)) && File.Exists(layout.ConflistPath(pod.Node)))
            await DeleteAttachmentAsync(pod, ct).ConfigureAwait(false);
        await _ns.DeleteAsync(layout.PodNamespace(pod.Name), ct).ConfigureAwait(false);
        if (Directory.Exists(LabLayout.EtcDirectory(layout.PodNamespace(pod.Name))))
            Directory.Delete(LabLayout.EtcDirectory(layout.PodNamespace(pod.Name)), recursive: true);
        if (Directory.Exists(layout.PodDirectory(pod.Name)))
            Directory.Delete(layout.PodDirectory(pod.Name), recursive: true);
    }

    private async Task AddAsync(PodSpec pod, CancellationToken ct)
    {
        Directory.CreateDirectory(layout.PodDirectory(pod.Name));
        await cni.AddAsync(layout.ConflistPath(pod.Node), layout.NodeNamespace(pod.Node), layout.ContainerId(pod.Name),
            layout.PodNamespace(pod.Name), LabLayout.PodInterface, layout.PodResultPath(pod.Name), ct).ConfigureAwait(false);
    }

    private Task DeleteAttachmentAsync(PodSpec pod, CancellationToken ct) =>
        cni.DelAsync(layout.ConflistPath(pod.Node), layout.NodeNamespace(pod.Node), layout.ContainerId(pod.Name),
            layout.PodNamespace(pod.Name), LabLayout.PodInterface, layout.PodResultPath(pod.Name), ct);

    /// <summary>The plugin's CHECK against its cached result: null when the attachment is as it was made.</summary>
    private async Task<string?> CheckAsync(PodSpec pod, CancellationToken ct)
    {
        if (!File.Exists(layout.PodResultPath(pod.Name)))
            return "no cached CNI result";
        try
        {
            await cni.CheckAsync(layout.ConflistPath(pod.Node), layout.NodeNamespace(pod.Node), layout.ContainerId(pod.Name),
                layout.PodNamespace(pod.Name), LabLayout.PodInterface, layout.PodResultPath(pod.Name), ct).ConfigureAwait(false);
            return null;
        }
        catch (CniException e)
        {
            return e.Message;
        }
    }
}
