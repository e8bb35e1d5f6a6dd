using System.Collections.Immutable;
using Provisioner.Core.Planning;
using Provisioner.Host.Processes;

namespace Provisioner.Deploy.Multipass;

/// <summary>
/// The step that puts the stack's pods, services and policies on the VM lab's cluster in their namespaces
/// (<see cref="WorkloadManifest"/>, <see cref="NamespaceManifest"/>), run on the control plane as root with its admin
/// kubeconfig:
/// <list type="number">
/// <item>delete the lab's pods, services and policies whose <see cref="WorkloadLabels.Spec"/> hash is not in the manifest
/// (removed from the stack, or changed: a pod's spec is immutable, so a changed pod is recreated), in every namespace;</item>
/// <item>delete the lab's namespaces the stack no longer names (with whatever is left in them);</item>
/// <item><c>kubectl apply --server-side</c> of the namespaces, then wait for each new pod namespace's
/// <c>default</c> ServiceAccount (kubernetes/kubernetes#66689);</item>
/// <item><c>kubectl apply --server-side</c> of the pods, services and policies, piped on stdin;</item>
/// <item>wait until the pods are Ready.</item>
/// </list>
/// Every part is safe to run again. One trigger line per namespace, pod, service and policy, so a preview names what
/// changes; the delete removes exactly the objects and namespaces labelled with this lab, whatever the stack file says by then.
/// </summary>
public sealed class WorkloadSteps(DeploymentPlanner.Inputs inputs)
{
    public const string Id = "workloads";
    public const string ManifestName = "workloads.yaml";
    public const string NamespaceManifestName = "namespaces.yaml";
    public const string FieldManager = "netlab";
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan ServiceAccountTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The namespaced kinds the step owns (and prunes by spec hash, and deletes) by its labels.</summary>
    public const string Kinds = "pods,services,networkpolicies.networking.k8s.io";

    /// <summary>The lab's namespaces (<see cref="NamespaceManifest"/>): pruned by name, deleted by <c>pulumi destroy</c>.</summary>
    public const string NamespaceKind = "namespaces";

    private static readonly Arg[] Kubectl = ["sudo", "kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf", "--request-timeout=60s"];

    /// <param name="controlPlaneVm">The control plane's VM.</param>
    /// <param name="clusterDigest">Changes when the cluster is built anew: the objects are applied to the new one.</param>
    public CommandStep Apply(string controlPlaneVm, string clusterDigest)
    {
        var plan = inputs.Plan;
        var objects = WorkloadManifest.Objects(plan);
        var namespaces = NamespaceManifest.For(plan.Lab);
        var manifest = ManifestFile(ManifestName, WorkloadManifest.ObjectsYaml(plan));
        var namespaceManifest = namespaces.IsEmpty ? null : ManifestFile(NamespaceManifestName, WorkloadManifest.NamespacesYaml(plan));
        var selector = WorkloadLabels.Selector(plan.Lab.Name);

        var commands = new List<string>
        {
            MultipassCommands.Exec(controlPlaneVm, [.. Kubectl, .. Prune(selector, objects)]),
            MultipassCommands.Exec(controlPlaneVm, [.. Kubectl, "delete", NamespaceKind, "--selector", NamespaceManifest.StaleSelector(plan.Lab.Name, namespaces),
                "--ignore-not-found", "--wait=true"]),
        };
        if (namespaceManifest is not null)
        {
            commands.Add(ApplyFile(controlPlaneVm, namespaceManifest));
            // the ServiceAccount admission refuses a pod until the controller made its namespace's "default" account
            commands.AddRange(namespaces.Where(n => n.Owned && plan.Lab.Pods.Any(p => p.Namespace == n.Name)).Select(n =>
                MultipassCommands.Exec(controlPlaneVm, [.. Kubectl, "wait", "--namespace", n.Name, "--for=create", "serviceaccount/default",
                    $"--timeout={(int)ServiceAccountTimeout.TotalSeconds}s"])));
        }
        if (!objects.IsEmpty)
            commands.Add(ApplyFile(controlPlaneVm, manifest));
        if (!plan.Lab.Pods.IsEmpty)
        {
            commands.Add(MultipassCommands.Exec(controlPlaneVm, [.. Kubectl, "wait", "--all-namespaces", "--for=condition=Ready", "pods",
                "--selector", selector, $"--timeout={(int)ReadyTimeout.TotalSeconds}s"]));
        }
        var create = Shell.AllOf(commands);
        return new CommandStep
        {
            Id = Id, PlanStepId = Id, Kind = StepKind.Pod, Node = null,
            Summary = $"the stack's {plan.Lab.Pods.Length} pods, {plan.Lab.Services.Length} services and {plan.Lab.NetworkPolicies.Length} NetworkPolicies on the cluster" +
                (namespaces.Any(n => n.Owned) ? $", in their namespaces ({namespaces.Count(n => n.Owned)} of them the lab's)" : "") + " (kubectl apply --server-side)",
            Create = create,
            Update = create,
            OnChange = ChangeMode.UpdateInPlace,
            Delete = MultipassCommands.ExecIfPresent(controlPlaneVm,
                [.. Kubectl, "delete", $"{Kinds},{NamespaceKind}", "--all-namespaces", "--selector", selector, "--ignore-not-found", "--wait=true"]),
            DependsOn = [.. plan.Steps.Where(s => s.Kind is StepKind.ControlPlane or StepKind.Join or StepKind.Cni or StepKind.Fabric or StepKind.ServiceRules)
                .Select(s => s.Id)],
            LocalFiles = namespaceManifest is null ? [manifest] : [namespaceManifest, manifest],
            Triggers = objects.Select(o => (o.Key, o.Line)).Concat(namespaces.Select(n => (n.Key, n.Line)))
                .ToImmutableSortedDictionary(o => o.Key, o => o.Line, StringComparer.Ordinal)
                .SetItem("cluster", clusterDigest).SetItem("image", WorkloadManifest.AgnhostImage),
        };
    }

    private LocalFile ManifestFile(string name, string content) => new($"{inputs.Options.WorkDir}/{name}", content, Hash.Sha256(content));

    private static string ApplyFile(string vm, LocalFile file) =>
        MultipassCommands.ExecReadingStdin(vm, [.. Kubectl, "apply", "--server-side", $"--field-manager={FieldManager}", "--force-conflicts", "-f", "-"])
        + " < " + ShellQuote.Quote(file.Path);

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
