using System.Collections.Immutable;
using Provisioner.Core.Planning;
using Provisioner.Host.Processes;

namespace Provisioner.Deploy.Multipass;

/// <summary>
/// The step that puts the stack's pods and services on the VM lab's cluster (<see cref="WorkloadManifest"/>), run on
/// the control plane as root with its admin kubeconfig:
/// <list type="number">
/// <item>delete the lab's pods and services whose <see cref="WorkloadLabels.Spec"/> hash is not in the manifest
/// (removed from the stack, or changed: a pod's spec is immutable, so a changed pod is recreated);</item>
/// <item><c>kubectl apply --server-side</c> of the manifest, piped on stdin;</item>
/// <item>wait until the pods are Ready.</item>
/// </list>
/// Every part is safe to run again. One trigger line per pod and per service, so a preview names what changes; the
/// delete removes exactly the objects labelled with this lab, whatever the stack file says by then.
/// </summary>
public sealed class WorkloadSteps(DeploymentPlanner.Inputs inputs)
{
    public const string Id = "workloads";
    public const string ManifestName = "workloads.yaml";
    public const string FieldManager = "netlab";
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The kinds the step owns (and prunes, and deletes) by its labels.</summary>
    public const string Kinds = "pods,services,networkpolicies.networking.k8s.io";

    private static readonly Arg[] Kubectl = ["sudo", "kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf", "--request-timeout=60s"];

    /// <param name="controlPlaneVm">The control plane's VM.</param>
    /// <param name="clusterDigest">Changes when the cluster is built anew: the objects are applied to the new one.</param>
    public CommandStep Apply(string controlPlaneVm, string clusterDigest)
    {
        var plan = inputs.Plan;
        var objects = WorkloadManifest.Objects(plan);
        var yaml = WorkloadManifest.Yaml(plan);
        var manifest = new LocalFile($"{inputs.Options.WorkDir}/{ManifestName}", yaml, Hash.Sha256(yaml));
        var selector = WorkloadLabels.Selector(plan.Lab.Name);

        var commands = new List<string> { MultipassCommands.Exec(controlPlaneVm, [.. Kubectl, .. Prune(selector, objects)]) };
        if (!objects.IsEmpty)
        {
            commands.Add(MultipassCommands.ExecReadingStdin(controlPlaneVm,
                [.. Kubectl, "apply", "--server-side", $"--field-manager={FieldManager}", "--force-conflicts", "-f", "-"])
                + " < " + ShellQuote.Quote(manifest.Path));
        }
        if (!plan.Lab.Pods.IsEmpty)
        {
            commands.Add(MultipassCommands.Exec(controlPlaneVm, [.. Kubectl, "wait", "--namespace", "default", "--for=condition=Ready", "pods",
                "--selector", selector, $"--timeout={(int)ReadyTimeout.TotalSeconds}s"]));
        }
        var create = Shell.AllOf(commands);
        return new CommandStep
        {
            Id = Id, PlanStepId = Id, Kind = StepKind.Pod, Node = null,
            Summary = $"the stack's {plan.Lab.Pods.Length} pods, {plan.Lab.Services.Length} services and {plan.Lab.NetworkPolicies.Length} NetworkPolicies on the cluster (kubectl apply --server-side)",
            Create = create,
            Update = create,
            OnChange = ChangeMode.UpdateInPlace,
            Delete = MultipassCommands.ExecIfPresent(controlPlaneVm,
                [.. Kubectl, "delete", Kinds, "--all-namespaces", "--selector", selector, "--ignore-not-found", "--wait=true"]),
            DependsOn = [.. plan.Steps.Where(s => s.Kind is StepKind.ControlPlane or StepKind.Join or StepKind.Cni or StepKind.Fabric or StepKind.ServiceRules)
                .Select(s => s.Id)],
            LocalFiles = [manifest],
            Triggers = objects.ToImmutableSortedDictionary(o => o.Key, o => o.Line, StringComparer.Ordinal)
                .SetItem("cluster", clusterDigest).SetItem("image", WorkloadManifest.AgnhostImage),
        };
    }

    /// <summary>
    /// <c>delete pods,services,networkpolicies</c> of this lab whose spec hash is not one of the manifest's: objects removed
    /// from the stack, and changed ones (recreated by the apply that follows). With no objects, every one of the lab's.
    /// </summary>
    private static IEnumerable<Arg> Prune(string selector, ImmutableArray<WorkloadObject> objects)
    {
        var stale = objects.IsEmpty
            ? selector
            : $"{selector},{WorkloadLabels.Spec} notin ({string.Join(",", objects.Select(o => o.SpecHash).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))})";
        return ["delete", Kinds, "--all-namespaces", "--selector", stale, "--ignore-not-found", "--wait=true"];
    }
}
