using System.Collections.Immutable;
using Provisioner.Host.Iproute;
using Provisioner.Host.Processes;

namespace Provisioner.Fabric.Convergence;

/// <summary>One program invocation of a fabric change, as an argument list.</summary>
/// <param name="InNetns">Runs inside the target's namespace (ip, bridge, sysctl, ping); OVS tools reach their daemons by socket instead.</param>
/// <param name="MayFail">A best-effort step (e.g. removing an address that may already be gone).</param>
internal sealed record FabricCommand(string Program, ImmutableArray<string> Arguments, bool InNetns, bool MayFail = false)
{
    /// <summary>Standard input (an <c>ip -batch -</c> script).</summary>
    public string? Stdin { get; init; }

    /// <summary>ip and bridge read many commands from one <c>-batch -</c>: one process for a whole change set.</summary>
    public bool IsBatchable => Program is "ip" or "bridge" && !MayFail && IpBatch.CanBatch(Arguments);

    /// <summary>The batch-file line of this command: its arguments.</summary>
    public string BatchLine => IpBatch.Line(Arguments);

    public static FabricCommand Ip(params string[] args) => new("ip", [.. args], InNetns: true);

    public static FabricCommand Bridge(params string[] args) => new("bridge", [.. args], InNetns: true);

    public static FabricCommand Sysctl(string setting) => new("sysctl", ["-qw", setting], InNetns: true);

    public static FabricCommand Vsctl(FabricTarget target, params string[] args) =>
        new("ovs-vsctl", [.. VsctlOptions(target), .. args], InNetns: false);

    /// <summary>ovs-ofctl addresses a bridge by name (system rundir) or by its management socket in the instance's rundir.</summary>
    public static FabricCommand Ofctl(FabricTarget target, string verb, string bridge, params string[] args) =>
        new("ovs-ofctl", [verb, OfctlBridge(target, bridge), .. args], InNetns: false);

    public static IEnumerable<string> VsctlOptions(FabricTarget target) =>
        target.OvsDbSocket is null ? ["--timeout=10"] : ["--timeout=10", $"--db=unix:{target.OvsDbSocket}"];

    public static string OfctlBridge(FabricTarget target, string bridge) =>
        target.OvsRunDir is null ? bridge : $"unix:{Path.Combine(target.OvsRunDir, bridge)}.mgmt";

    public FabricCommand OrIgnoreFailure() => this with { MayFail = true };

    /// <summary>The argument vector actually executed in <paramref name="target"/>.</summary>
    public ImmutableArray<string> Argv(FabricTarget target) => (InNetns, target.Netns, Program) switch
    {
        (false, _, _) or (_, null, _) => [Program, .. Arguments],
        (true, { } ns, "ip" or "bridge") => [Program, "-n", ns, .. Arguments],
        (true, { } ns, _) => [NetnsExec.Ip, .. NetnsExec.Arguments(ns, Program, Arguments)],
    };

    public string Render(FabricTarget target) => ShellQuote.Join(Argv(target));
}
