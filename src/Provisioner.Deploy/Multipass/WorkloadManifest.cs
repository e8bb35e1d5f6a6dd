using System.Collections.Immutable;
using System.Globalization;
using k8s;
using k8s.Models;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Rendering.Models;

namespace Provisioner.Deploy.Multipass;

/// <summary>One object of the workloads manifest, with the readable line its trigger shows in a preview.</summary>
/// <param name="Key">The trigger key: <c>pod.web-1</c> (pod names are unique across namespaces), <c>service.default/web</c>.</param>
/// <param name="SpecHash">Hash of the object as applied (its <see cref="WorkloadLabels.Spec"/> label).</param>
public sealed record WorkloadObject(string Key, string Line, string SpecHash, IKubernetesObject<V1ObjectMeta> Object);

/// <summary>
/// The stack's pods, services and NetworkPolicies as Kubernetes objects, so the VM lab has the same workloads as the netns lab: each
/// pod pinned to its node (<c>nodeName</c>, no scheduler) running agnhost <c>netexec</c> on the pod's port, each
/// service with the plan's ClusterIP and node ports, each policy as written (netlab-proxy enforces it), each in its
/// stack namespace (<see cref="NamespaceManifest"/>). Every object carries <see cref="WorkloadLabels"/>, so the step can
/// find (and prune) exactly its own objects.
/// </summary>
public static class WorkloadManifest
{
    /// <summary>agnhost's <c>netexec</c> answers <c>/hostname</c> (the pod's name) and <c>/clientip</c> (the address it saw).</summary>
    public const string AgnhostImage = "registry.k8s.io/e2e-test-images/agnhost:2.56";

    public const string ContainerName = "netexec";

    /// <summary>The pods, services and NetworkPolicies, in stack order (pods first).</summary>
    public static ImmutableArray<WorkloadObject> Objects(LabPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var lab = plan.Lab;
        return [.. lab.Pods.Select(p => Labelled(lab, PodKey(p.Name), PodLine(lab, p), Pod(lab, p))),
            .. plan.Addresses.Services.Select(s => Labelled(lab, ServiceKey(s.Spec), ServiceLine(s), Service(s))),
            .. lab.NetworkPolicies.Select(p => Labelled(lab, PolicyKey(p), PolicyManifest.Line(p), PolicyManifest.ToApi(p)))];
    }

    /// <summary>The manifest of the namespaces (<see cref="NamespaceManifest"/>), applied before the objects in them.</summary>
    public static string NamespacesYaml(LabPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return Documents(NamespaceManifest.For(plan.Lab).Select(n => n.Object));
    }

    /// <summary>The manifest of the pods, services and NetworkPolicies, one YAML document each.</summary>
    public static string ObjectsYaml(LabPlan plan) => Documents(Objects(plan).Select(o => o.Object));

    /// <summary>Both manifests as one: namespaces, then pods, services and policies.</summary>
    public static string Yaml(LabPlan plan) => string.Join("---\n", new[] { NamespacesYaml(plan), ObjectsYaml(plan) }.Where(d => d.Length > 0));

    private static string Documents(IEnumerable<object> objects) =>
        string.Join("---\n", objects.Select(o => KubernetesYaml.Serialize(o)).Select(d => d.EndsWith('\n') ? d : d + "\n"));

    public static string PodKey(string pod) => $"pod.{pod}";

    public static string ServiceKey(ServiceSpec service) => $"service.{service.Namespace}/{service.Name}";

    public static string PolicyKey(NetworkPolicySpec policy) => $"networkpolicy.{policy.Namespace}/{policy.Name}";

    private static WorkloadObject Labelled(LabConfig lab, string key, string line, IKubernetesObject<V1ObjectMeta> o)
    {
        var labels = new Dictionary<string, string>(o.Metadata.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [WorkloadLabels.ManagedBy] = WorkloadLabels.ManagedByValue,
            [WorkloadLabels.Lab] = lab.Name,
        };
        o.Metadata.Labels = labels;
        var hash = Hash.Short(Hash.Sha256(KubernetesYaml.Serialize(o)));
        labels[WorkloadLabels.Spec] = hash;
        return new WorkloadObject(key, line, hash, o);
    }

    private static V1Pod Pod(LabConfig lab, PodSpec pod) => new()
    {
        ApiVersion = "v1", Kind = "Pod",
        Metadata = new V1ObjectMeta { Name = pod.Name, NamespaceProperty = pod.Namespace, Labels = pod.Labels.ToDictionary(StringComparer.Ordinal) },
        Spec = new V1PodSpec
        {
            NodeName = RenderModels.Hostname(lab, pod.Node), // bound to its node: the scheduler never moves it
            TerminationGracePeriodSeconds = 1, // netexec ignores SIGTERM as PID 1; the netns pods stop within 1 s too
            Containers =
            [
                new V1Container
                {
                    Name = ContainerName, Image = AgnhostImage,
                    Args = ["netexec", $"--http-port={pod.Port.ToString(CultureInfo.InvariantCulture)}", "--udp-port=-1"],
                    Ports = [new V1ContainerPort { ContainerPort = pod.Port, Protocol = "TCP", Name = pod.PortName ?? "http" }], // a policy's named port resolves to it
                    ReadinessProbe = new V1Probe
                    {
                        HttpGet = new V1HTTPGetAction { Path = "/hostname", Port = pod.Port },
                        PeriodSeconds = 2,
                    },
                },
            ],
        },
    };

    private static V1Service Service(PlannedService planned)
    {
        var s = planned.Spec;
        var external = s.Type is ServiceType.NodePort or ServiceType.LoadBalancer || (s.Type == ServiceType.ClusterIP && !s.ExternalIPs.IsEmpty);
        var spec = new V1ServiceSpec
        {
            Type = s.Type.ToString(),
            Selector = s.Selector.IsEmpty || s.Type == ServiceType.ExternalName ? null : s.Selector.ToDictionary(StringComparer.Ordinal),
            Ports = planned.Ports.IsEmpty ? null : [.. planned.Ports.Select(p => new V1ServicePort
            {
                Name = p.Name, Port = p.Port, TargetPort = p.EffectiveTargetPort, Protocol = p.Protocol.ToString(),
                NodePort = p.NodePort != 0 && s.Type is ServiceType.NodePort or ServiceType.LoadBalancer ? p.NodePort : null,
            })],
        };
        if (s.Type == ServiceType.ExternalName)
            spec.ExternalName = s.ExternalName;
        else
        {
            spec.ClusterIP = s.IsHeadless ? "None" : planned.ClusterIP?.ToString();
            spec.SessionAffinity = s.SessionAffinity.ToString();
            if (s.SessionAffinity == SessionAffinity.ClientIP)
                spec.SessionAffinityConfig = new V1SessionAffinityConfig { ClientIP = new V1ClientIPConfig { TimeoutSeconds = s.SessionAffinityTimeoutSeconds } };
            spec.InternalTrafficPolicy = s.InternalTrafficPolicy.ToString();
            if (external)
                spec.ExternalTrafficPolicy = s.ExternalTrafficPolicy.ToString();
        }
        if (!s.ExternalIPs.IsEmpty)
            spec.ExternalIPs = [.. s.ExternalIPs];
        if (s.LoadBalancerIP is { } lb)
            spec.LoadBalancerIP = lb;
        return new V1Service
        {
            ApiVersion = "v1", Kind = "Service",
            Metadata = new V1ObjectMeta { Name = s.Name, NamespaceProperty = s.Namespace },
            Spec = spec,
        };
    }

    /// <summary>E.g. <c>pod web-1 on worker1 (dev-worker1): agnhost netexec :8080, labels app=web</c>; <c>pod team-a/web-1 ...</c> outside <c>default</c>.</summary>
    private static string PodLine(LabConfig lab, PodSpec p) =>
        $"pod {(p.Namespace == "default" ? "" : p.Namespace + "/")}{p.Name} on {p.Node} ({RenderModels.Hostname(lab, p.Node)}): agnhost netexec :{p.Port}, labels {string.Join(",", p.Labels.Select(l => $"{l.Key}={l.Value}"))}";

    /// <summary>E.g. <c>service default/api NodePort 10.96.0.11 8080->8080/TCP:30080 affinity=ClientIP(10800s)</c>.</summary>
    private static string ServiceLine(PlannedService planned)
    {
        var s = planned.Spec;
        var address = s.Type == ServiceType.ExternalName ? $"-> {s.ExternalName}" : s.IsHeadless ? "headless" : planned.ClusterIP?.ToString();
        var ports = planned.Ports.Select(p => $"{p.Port}->{p.EffectiveTargetPort}/{p.Protocol}" + (p.NodePort != 0 ? $":{p.NodePort}" : ""));
        var extras = new List<string>();
        if (!s.Selector.IsEmpty && s.Type != ServiceType.ExternalName)
            extras.Add("selector " + string.Join(",", s.Selector.Select(l => $"{l.Key}={l.Value}")));
        if (s.SessionAffinity == SessionAffinity.ClientIP)
            extras.Add($"affinity=ClientIP({s.SessionAffinityTimeoutSeconds}s)");
        if (s.ExternalTrafficPolicy == TrafficPolicy.Local)
            extras.Add("externalTrafficPolicy=Local");
        if (s.InternalTrafficPolicy == TrafficPolicy.Local)
            extras.Add("internalTrafficPolicy=Local");
        if (!s.ExternalIPs.IsEmpty)
            extras.Add("externalIPs " + string.Join(",", s.ExternalIPs));
        if (s.LoadBalancerIP is { } lb)
            extras.Add("loadBalancerIP " + lb);
        return string.Join(' ', new[] { $"service {s.Namespace}/{s.Name} {s.Type}", address, string.Join(",", ports) }
            .Concat(extras).Where(x => !string.IsNullOrEmpty(x)));
    }
}

/// <summary>The labels that mark the lab's own objects on the cluster (and nothing else).</summary>
public static class WorkloadLabels
{
    public const string ManagedBy = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "netlab";
    public const string Lab = "netlab.io/lab";

    /// <summary>A hash of the object as applied: an object whose hash is not in the manifest is stale (removed or changed).</summary>
    public const string Spec = "netlab.io/spec";

    /// <summary>The selector of every pod, service, policy and namespace of lab <paramref name="lab"/>.</summary>
    public static string Selector(string lab) => $"{ManagedBy}={ManagedByValue},{Lab}={lab}";
}
