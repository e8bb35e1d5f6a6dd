using Provisioner.Host.Processes;
using Provisioner.Netns;

namespace Provisioner.Observability.Drills;

/// <summary>Starts and stops drills on a running lab: one drill at a time, recorded before it is applied.</summary>
public sealed class DrillRunner(NetnsLab lab, ProcessRunner run)
{
    public IReadOnlyList<Drill> Catalog => DrillCatalog.For(lab.Plan, lab.Layout, PodAddress);

    /// <summary>A pod's address from its cached CNI result (what <c>netlab status</c> shows).</summary>
    private string? PodAddress(string pod) =>
        File.Exists(lab.Layout.PodResultPath(pod)) ? Netns.Cni.CniRuntime.Parse(File.ReadAllText(lab.Layout.PodResultPath(pod))).Address.Split('/')[0] : null;

    public ActiveDrill? Active => ActiveDrill.Load(lab.Layout);

    public async Task<Drill> StartAsync(string name, CancellationToken ct = default)
    {
        if (Active is { } active)
            throw new LabInputException($"drill '{active.Drill.Name}' is running. Fix: sudo netlab drill stop");
        var drill = Catalog.FirstOrDefault(d => d.Name == name)
            ?? throw new LabInputException($"no drill '{name}' for this lab (drills: {string.Join(", ", Catalog.Select(d => d.Name))})");
        new ActiveDrill(drill, DateTimeOffset.UtcNow).Save(lab.Layout);
        foreach (var command in drill.Break)
        {
            var stdin = command.Stdin is null ? null : await command.Stdin(run, ct).ConfigureAwait(false);
            if (command.MayFail)
                await run.TryRunAsync(command.Arguments[0], command.Arguments.Skip(1), stdin, cancellationToken: ct).ConfigureAwait(false);
            else
                await run.RunAsync(command.Arguments[0], command.Arguments.Skip(1), stdin, cancellationToken: ct).ConfigureAwait(false);
        }
        return drill;
    }

    /// <summary>Undoes the running drill (its restore commands, then <c>up</c> for whatever netlab owns); returns it, or null.</summary>
    public async Task<Drill?> StopAsync(CancellationToken ct = default)
    {
        if (Active is not { } active)
            return null;
        foreach (var command in active.Drill.Restore)
            await run.TryRunAsync(command.Arguments[0], command.Arguments.Skip(1), cancellationToken: ct).ConfigureAwait(false);
        await lab.UpAsync(ct: ct).ConfigureAwait(false);
        ActiveDrill.Clear(lab.Layout);
        return active.Drill;
    }
}
