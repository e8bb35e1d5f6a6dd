namespace Provisioner.ServiceRules.Applying;

/// <summary>
/// How a sync knew what the kernel holds. <see cref="Partial"/>: diffed against the last-applied state, no kernel
/// read (kube-proxy's partial sync). <see cref="Full"/>: read the kernel and diffed against it, repairing whatever
/// changed outside netlab.
/// </summary>
public enum SyncKind { Partial, Full }

/// <summary>
/// The outcome of one <see cref="ServiceRulesEngine"/> sync: the plan (what changed: <see cref="RulePlan.Changes"/>),
/// whether it ran, whether it was partial or full and why (<see cref="Basis"/>), and how long reading and applying took.
/// <see cref="Generation"/> is the nf_tables generation the engine now trusts its state at (null: the next sync reads).
/// </summary>
public sealed record SyncResult(
    RulePlan Plan,
    SyncKind Kind,
    string Basis,
    bool Applied,
    TimeSpan ReadTime,
    TimeSpan ApplyTime,
    IReadOnlyList<string> DnsOnlyServices,
    Host.Netlink.NfTablesGeneration? Generation)
{
    /// <summary>When <see cref="Applied"/> and <see cref="Generation"/> is known: the generation the apply started from.
    /// The kernel went from it to <see cref="Generation"/> by this sync's transactions and nothing else.</summary>
    public Host.Netlink.NfTablesGeneration? AppliedFrom { get; init; }

    /// <summary>What wrote the rules when <see cref="Applied"/>: the tool, or the x_tables replace (and why not).</summary>
    public string? Writer { get; init; }

    public override string ToString() =>
        (Applied ? $"applied: {Plan.Summary}" : Plan.Summary) + $" [{Kind.ToString().ToLowerInvariant()} sync: {Basis}]";
}
