using System.Net;
using Provisioner.Core.Dns;
using Provisioner.Core.Planning;
using Provisioner.Host.Processes;
using Provisioner.Rendering.Dns;
using Provisioner.Host.Iproute;

namespace Provisioner.Netns.Dns;

/// <summary>
/// The cluster DNS pod's server: dnsmasq inside the <c>kube-dns</c> pod's namespace, configured with the records of the
/// lab's service table. Drift is a record set that no longer matches the services and endpoints (shown record by
/// record), a configuration changed by hand, or a dnsmasq that is not running; applying rewrites the configuration and
/// restarts dnsmasq (its record options are read only at start).
/// </summary>
public sealed class ClusterDnsLayer(LabPlan plan, LabLayout layout, ProcessRunner run, Func<string, IPAddress?> podAddress,
    IReadOnlyList<string>? resolvConfPaths = null) : IStepLayer, IProcessOwner
{
    private string PodNamespace => layout.PodNamespace(ClusterDns.PodName);

    public IReadOnlyList<DnsRecord> Records() => ClusterDnsRecords.For(plan, podAddress);

    public async Task<IReadOnlyList<Change>> PlanAsync(PlanStep step, CancellationToken ct)
    {
        var upstreams = Namespaces.Exists(layout.NodeNamespace(step.Node!))
            ? await DnsUpstreams.ReachableAsync(run, layout.NodeNamespace(step.Node!), DnsUpstreams.Candidates(resolvConfPaths ?? DnsUpstreams.ResolvConfPaths), ct).ConfigureAwait(false)
            : [];
        var current = File.Exists(layout.DnsConfigPath) ? await File.ReadAllTextAsync(layout.DnsConfigPath, ct).ConfigureAwait(false) : null;
        var proof = File.Exists(RenderedPath) ? await File.ReadAllTextAsync(RenderedPath, ct).ConfigureAwait(false) : null;
        var labInputs = LabInputs([.. upstreams.Select(u => u.ToString())]);
        // the lab is the one the file was last rendered from (its stack's key) and the file is what netlab wrote: no
        // records to build, the file on disk is the answer (any edit of it fails the hash)
        if (current is not null && labInputs is not null && Proof.Parse(proof) is { } last && last.Lab == labInputs && last.Config == Hash(current))
            return RunningPid() is null ? [new Change(step.Id, $"start dnsmasq in {PodNamespace} ({Records().Count} records)", RestartAsync)] : [];
        var records = Core.Diagnostics.PhaseTimer.Time("cluster dns: records", Records);
        var listing = string.Join('\n', records.Select(r => r.ToString())) + "\n";
        var inputs = Inputs(listing, [.. upstreams.Select(u => u.ToString())]);
        // the file netlab wrote from these very inputs (its hash proves nobody edited it) needs no render to compare with
        var proven = current is not null && Proof.Parse(proof) is { } rendered && rendered.Inputs == inputs && rendered.Config == Hash(current);
        var config = proven && current is not null
            ? current
            : Core.Diagnostics.PhaseTimer.Time("cluster dns: render", () => DnsmasqConfig.Render(DnsmasqConfig.Model(plan.Lab.Network.ClusterDomain, records, LocalDomains(),
                [.. upstreams.Select(u => u.ToString())], layout.DnsPidPath, layout.DnsLogPath)));
        // Rendered again (another netlab build, whose template may differ) and the same file came out, or proven by the
        // records while the lab's inputs are not recorded yet: record that, so the next run skips the render (and the
        // records). Only the hash next to the file changes; the file and dnsmasq are as they were.
        if (current == config && proof != Rendered(inputs, config, labInputs) && Directory.Exists(Path.GetDirectoryName(RenderedPath)))
            await WriteAsync(RenderedPath, Rendered(inputs, config, labInputs), ct).ConfigureAwait(false);
        var changes = new List<Change>();
        if (current != config)
        {
            var before = File.Exists(layout.DnsRecordsPath) && current is not null
                ? (await File.ReadAllTextAsync(layout.DnsRecordsPath, ct).ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                : [];
            changes.Add(new Change(step.Id, Describe(before, listing.Split('\n', StringSplitOptions.RemoveEmptyEntries), current is null, upstreams.Count), async c =>
            {
                Directory.CreateDirectory(Path.GetDirectoryName(layout.DnsConfigPath)!);
                await WriteAsync(layout.DnsConfigPath, config, c).ConfigureAwait(false);
                await WriteAsync(layout.DnsRecordsPath, listing, c).ConfigureAwait(false);
                await WriteAsync(RenderedPath, Rendered(inputs, config, labInputs), c).ConfigureAwait(false);
                await RestartAsync(c).ConfigureAwait(false);
            }));
        }
        else if (RunningPid() is null)
        {
            changes.Add(new Change(step.Id, $"start dnsmasq in {PodNamespace} ({records.Count} records)", RestartAsync));
        }
        return changes;
    }

    /// <summary>Where the hash of the last render's inputs and output is kept (next to dnsmasq.conf).</summary>
    private string RenderedPath => layout.DnsConfigPath + ".rendered";

    /// <summary>Everything the configuration is rendered from, hashed: the renderer's build (its template), the zone and
    /// local domains, the upstreams, the paths, and every record.</summary>
    private string Inputs(string listing, IReadOnlyList<string> upstreams) => Hash(string.Join('\n',
        [typeof(DnsmasqConfig).Assembly.ManifestModule.ModuleVersionId.ToString(), plan.Lab.Network.ClusterDomain, .. LocalDomains(), "upstreams",
            .. upstreams, layout.DnsPidPath, layout.DnsLogPath, listing]));

    /// <summary>The records' inputs without the records: the lab by its stack's key (null: it has none), the pods'
    /// addresses, the upstreams, the paths and the builds that make records and configuration from them.</summary>
    private string? LabInputs(IReadOnlyList<string> upstreams) => Core.Config.Cache.LabIdentity.Inputs(plan.Lab,
        [typeof(DnsmasqConfig).Assembly.ManifestModule.ModuleVersionId.ToString(), typeof(ClusterDnsLayer).Assembly.ManifestModule.ModuleVersionId.ToString(),
            "upstreams", .. upstreams, layout.DnsConfigPath, layout.DnsPidPath, layout.DnsLogPath, "pods",
            .. plan.Lab.Pods.Select(p => p.Name + "=" + podAddress(p.Name))]);

    private static string Rendered(string inputs, string config, string? lab) => $"inputs {inputs} config {Hash(config)} lab {lab ?? "-"}\n";

    /// <summary>The <c>.rendered</c> file: the hash of the render's inputs, of the file it wrote, and of the lab's inputs.</summary>
    private sealed record Proof(string Inputs, string Config, string? Lab)
    {
        public static Proof? Parse(string? text) => text?.Split(' ', StringSplitOptions.TrimEntries) switch
        {
            ["inputs", var inputs, "config", var config, "lab", var lab] => new(inputs, config, lab == "-" ? null : lab),
            ["inputs", var inputs, "config", var config] => new(inputs, config, null),
            _ => null,
        };
    }

    private static string Hash(string text) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    /// <summary>Record lines added and removed, as a learner reads them in dig's output.</summary>
    private static string Describe(string[] before, string[] after, bool fresh, int upstreams)
    {
        var removed = before.Except(after, StringComparer.Ordinal).Select(l => "- " + l);
        var added = after.Except(before, StringComparer.Ordinal).Select(l => "+ " + l);
        var lines = removed.Concat(added).ToList();
        var head = fresh
            ? $"dnsmasq with {after.Length} records ({(upstreams == 0 ? "no reachable upstream: outside names REFUSED" : $"{upstreams} upstream servers")})"
            : lines.Count == 0 ? "rewrite dnsmasq.conf (changed by hand, or its upstream servers changed)" : $"records: {lines.Count} changed";
        const int max = 12;
        var shown = lines.Take(max).Select(l => Environment.NewLine + "    " + l);
        return head + string.Concat(shown) + (lines.Count > max ? $"{Environment.NewLine}    ... and {lines.Count - max} more" : "");
    }

    /// <summary>The cluster zone and the reverse zones of the pod and service ranges: answered here, never forwarded.</summary>
    private IReadOnlyList<string> LocalDomains() =>
        [plan.Lab.Network.ClusterDomain, ReverseZone(plan.Addresses.ServiceCidr), ReverseZone(plan.Addresses.PodCidr)];

    /// <summary>The in-addr.arpa zone of a range, widened to whole octets (dnsmasq's <c>local=</c> takes zones).</summary>
    private static string ReverseZone(IPNetwork2 network)
    {
        var octets = Math.Max(1, network.Cidr / 8);
        return string.Join('.', network.Network.GetAddressBytes().Take(octets).Reverse()) + ".in-addr.arpa";
    }

    public int? RunningPid() => RunningPid(layout);

    /// <summary>The lab's dnsmasq (the kube-dns pod's server), if it runs with the lab's configuration.</summary>
    public static int? RunningPid(LabLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (!File.Exists(layout.DnsPidPath) || !int.TryParse(File.ReadAllText(layout.DnsPidPath).Trim(), out var pid))
            return null;
        try
        {
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            return cmdline.Contains("dnsmasq", StringComparison.Ordinal) && cmdline.Contains(layout.DnsConfigPath, StringComparison.Ordinal) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Stops dnsmasq and starts it again with the written configuration. dnsmasq checks its configuration and binds
    /// port 53 before it detaches, so a bad option or a taken port fails here with dnsmasq's own message.
    /// </summary>
    private async Task RestartAsync(CancellationToken ct)
    {
        await StopAsync().ConfigureAwait(false);
        await run.RunAsync(NetnsExec.Ip, NetnsExec.Arguments(PodNamespace, "dnsmasq", $"--conf-file={layout.DnsConfigPath}"), cancellationToken: ct).ConfigureAwait(false);
        var probe = new Verify.Probe(run);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await probe.TcpConnectAsync(PodNamespace, IPAddress.Loopback, ClusterDns.Port, ct).ConfigureAwait(false))
        {
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"dnsmasq in {PodNamespace} does not accept connections on port {ClusterDns.Port}; see {layout.DnsLogPath}");
            await Task.Delay(20, ct).ConfigureAwait(false);
        }
    }

    private async Task StopAsync()
    {
        if (RunningPid() is not { } pid)
            return;
        var id = pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await run.TryRunAsync("kill", ["-TERM", id]).ConfigureAwait(false);
        for (var i = 0; i < 100 && Pods.PodSupervisor.IsAlive(id); i++) // a zombie counts as gone: init may reap it late
            await Task.Delay(10).ConfigureAwait(false);
    }

    public Task StopProcessesAsync(PlanStep step, CancellationToken ct) => StopAsync();

    public async Task RemoveAsync(PlanStep step, CancellationToken ct)
    {
        await StopAsync().ConfigureAwait(false);
        foreach (var path in new[] { layout.DnsConfigPath, layout.DnsRecordsPath, layout.DnsPidPath, RenderedPath })
            File.Delete(path);
    }

    private static async Task WriteAsync(string path, string text, CancellationToken ct)
    {
        await File.WriteAllTextAsync(path + ".tmp", text, ct).ConfigureAwait(false);
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
