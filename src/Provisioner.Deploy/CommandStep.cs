using System.Collections.Immutable;
using Provisioner.Core.Planning;

namespace Provisioner.Deploy;

/// <summary>What a change of a step's triggers does to it.</summary>
public enum ChangeMode
{
    /// <summary>Delete (if it has a delete command) and create again: a VM with another size, a new cluster.</summary>
    Replace,

    /// <summary>Run <see cref="CommandStep.Update"/> in place: a new fabric or rule set converges the running node.</summary>
    UpdateInPlace,
}

/// <summary>How much of a step's output may appear in logs.</summary>
public enum StepLogging
{
    StdoutAndStderr,

    /// <summary>For steps whose stdout is a secret (a join command, a kubeconfig): errors only.</summary>
    Stderr,
    None,
}

/// <summary>A file the program writes on this machine before the steps run (e.g. a node's cloud-init user-data).</summary>
/// <param name="Path">Relative to the project root (the directory of Pulumi.yaml).</param>
public sealed record LocalFile(string Path, string Content, string Sha256);

/// <summary>
/// One command a backend runs to carry out (part of) a plan step: the unit the Pulumi program maps to one
/// <c>Pulumi.Command.Local.Command</c>. Command lines are built from argument lists with shell quoting; values only
/// known while the lab is built (node addresses) come in as environment variables; secrets never appear in them.
/// </summary>
public sealed record CommandStep
{
    /// <summary>Stable and unique in the lab; the resource name is <c>&lt;lab&gt;-&lt;stack&gt;-&lt;Id&gt;</c>.</summary>
    public required string Id { get; init; }

    /// <summary>The plan step this command belongs to (several commands may carry out one plan step).</summary>
    public required string PlanStepId { get; init; }

    /// <summary>The kind of plan step; null for the local build of the binaries.</summary>
    public required StepKind? Kind { get; init; }

    /// <summary>The node whose component owns the command; null for cluster-wide steps.</summary>
    public string? Node { get; init; }

    public required string Summary { get; init; }

    /// <summary>
    /// Runs on this machine with <c>/bin/sh -c</c>, from the project root (see <see cref="Shell.FromProjectRoot"/>:
    /// relative paths only, so nothing a step stores pins the checkout's place). Secrets only ever travel through a
    /// pipe inside the command (a join token), never as a word of it.
    /// </summary>
    public required string Create { get; init; }

    /// <summary>Runs instead of <see cref="Create"/> when an input other than a replacing trigger changes.</summary>
    public string? Update { get; init; }

    /// <summary>Undoes <see cref="Create"/>; null when nothing needs undoing (the VM it ran on goes away).</summary>
    public string? Delete { get; init; }

    /// <summary>
    /// A read-only lookup (a VM's address) run again on every preview and up, never kept as a resource: the Pulumi
    /// program declares it as a <c>local.run</c> invoke after its dependencies, so a changed result shows in the
    /// preview as a changed input of the steps that use it. It has only <see cref="Create"/>.
    /// </summary>
    public bool ReadOnEveryRun { get; init; }

    /// <summary>The meaningful inputs, one readable line each (plan triggers, rendered file hashes, versions).</summary>
    public ImmutableSortedDictionary<string, string> Triggers { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public ChangeMode OnChange { get; init; } = ChangeMode.Replace;

    public ImmutableArray<string> DependsOn { get; init; } = [];

    /// <summary>Environment variables bound to node addresses at run time: variable name to node name.</summary>
    public ImmutableSortedDictionary<string, string> AddressVariables { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>The stdout is a secret: kept encrypted in the state and never logged.</summary>
    public bool SecretStdout { get; init; }

    public StepLogging Logging { get; init; } = StepLogging.StdoutAndStderr;

    /// <summary>Files (under the project root) the command reads; the program writes them before the steps run.</summary>
    public ImmutableArray<LocalFile> LocalFiles { get; init; } = [];

    /// <summary>
    /// Environment variables that carry the triggers of an <see cref="ChangeMode.UpdateInPlace"/> step: a change of one
    /// shows in the preview as a changed variable and runs <see cref="Update"/> (Pulumi.Command replaces on any change
    /// of its <c>triggers</c> input, so in-place triggers cannot go there).
    /// </summary>
    public ImmutableSortedDictionary<string, string> TriggerVariables =>
        OnChange == ChangeMode.UpdateInPlace
            ? Triggers.ToImmutableSortedDictionary(t => EnvironmentName.ForTrigger(t.Key), t => t.Value, StringComparer.Ordinal)
            : ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>The triggers that replace the resource: every trigger of a <see cref="ChangeMode.Replace"/> step.</summary>
    public ImmutableArray<string> ReplaceTriggers =>
        OnChange == ChangeMode.Replace ? [.. Triggers.Select(t => $"{t.Key}={t.Value}")] : [];

    /// <summary>
    /// Whether the old resource must go before its replacement is created: a VM's replacement has the same name, and
    /// a replaced step's delete would otherwise undo what its replacement just did.
    /// </summary>
    public bool DeleteBeforeReplace => Delete is not null;

    public CommandStep WithTrigger(string key, string value) => this with { Triggers = Triggers.SetItem(key, value) };
}
