using System.Text;
using System.Text.RegularExpressions;

namespace Provisioner.Deploy;

/// <summary>
/// The deployment's command steps as a file a learner reads without Pulumi (<c>netlab render</c> writes it): per step
/// its resource name, parent component, dependencies, triggers and create/update/delete commands, in the order
/// <c>pulumi up</c> creates them. Made from the same <see cref="DeploymentPlan.Steps"/> the Pulumi program declares,
/// with the same names; anything shaped like a secret shows as <c>[secret]</c>.
/// </summary>
public static partial class StepListing
{
    public const string FileName = "steps.txt";

    public const string Secret = "[secret]";

    public static string Write(DeploymentPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var text = new StringBuilder();
        var lab = plan.Plan.Lab;
        text.AppendLine($"# The steps 'pulumi up' runs for stack {plan.Options.StackName} (lab {lab.Name}, backend {Core.Model.EnumNames.Of(lab.Backend)}),");
        text.AppendLine("# in the order they are created (a step's dependencies come before it; 'pulumi destroy' deletes in reverse).");
        text.AppendLine("# Each runs on this machine with /bin/sh -c, after going to the project root (no absolute path is stored):");
        text.AppendLine($"#   {Shell.EnterProjectRoot}");
        text.AppendLine("# 'replaced when' triggers delete and re-create a step when they change; 'updated in place when' ones run its");
        text.AppendLine("# update command instead. Secrets show as [secret]; a join token only ever crosses the pipe inside its command.");
        foreach (var step in plan.Steps)
        {
            text.AppendLine();
            text.AppendLine($"== {plan.ResourceName(step)}");
            Line(text, "summary", step.Summary);
            Line(text, "parent", step.Node is null ? $"cluster {plan.ResourcePrefix}" : $"node {plan.ResourcePrefix}-{step.Node}");
            Line(text, "depends on", step.DependsOn.IsEmpty ? "(nothing)" : string.Join(", ", step.DependsOn.Select(d => plan.ResourceName(plan.Step(d)))));
            if (step.ReadOnEveryRun)
                Line(text, "runs", "on every preview and up, after its dependencies (a lookup: no resource, nothing stored)");
            Lines(text, "replaced when", step.ReplaceTriggers);
            Lines(text, "updated in place when", [.. step.TriggerVariables.Select(v => $"{v.Key}={v.Value}")]);
            Lines(text, "environment", [.. step.AddressVariables.Select(v => $"{v.Key} = the address of {v.Value}")]);
            Lines(text, "writes first", [.. step.LocalFiles.Select(f => f.Path)]);
            Lines(text, "create", Wrapped(step.Create));
            if (step.Update is not null)
                Lines(text, "update", step.Update == step.Create ? ["(the create command again)"] : Wrapped(step.Update));
            if (step.Delete is not null)
                Lines(text, "delete", Wrapped(step.Delete));
            if (step.SecretStdout)
                Line(text, "stdout", $"{Secret} (encrypted in the state, never logged)");
        }
        return Redact(text.ToString());
    }

    /// <summary>Replaces anything shaped like a kubeadm bootstrap token with <see cref="Secret"/>.</summary>
    public static string Redact(string text) => BootstrapToken().Replace(text, Secret);

    /// <summary>A kubeadm bootstrap token (<c>abcdef.0123456789abcdef</c>).</summary>
    [GeneratedRegex("[a-z0-9]{6}\\.[a-z0-9]{16}")]
    public static partial Regex BootstrapToken();

    private static void Line(StringBuilder text, string label, string value) =>
        text.AppendLine($"{(label.Length == 0 ? "" : label + ":"),-23}{value}");

    /// <summary>A command cut after each top-level <c>&amp;&amp;</c> (outside quotes), one line each: the same text, readable.</summary>
    private static List<string> Wrapped(string command)
    {
        var lines = new List<string>();
        var start = 0;
        var quote = '\0';
        for (var i = 0; i < command.Length; i++)
        {
            var c = command[i];
            if (quote != '\0')
                quote = c == quote ? '\0' : quote;
            else if (c == '\\')
                i++; // an escaped character, e.g. the quote in 'it'\''s'
            else if (c is '\'' or '"')
                quote = c;
            else if (string.CompareOrdinal(command, i, " && ", 0, 4) == 0)
            {
                lines.Add(command[start..(i + 3)]);
                start = i + 4;
            }
        }
        lines.Add(command[start..]);
        return lines;
    }

    private static void Lines(StringBuilder text, string label, IReadOnlyList<string> values)
    {
        for (var i = 0; i < values.Count; i++)
            Line(text, i == 0 ? label : "", values[i]);
    }
}
