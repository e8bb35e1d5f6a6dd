using System.Collections.Immutable;
using System.Net;
using Backend = Provisioner.Core.Model.Backend;
using Provisioner.Core.Planning;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Sources;
using Provisioner.StackRules;

namespace Provisioner.Deploy;

/// <summary>
/// A node's services document as the plan knows it, and its trigger lines (one per service port). On VMs the stack's
/// lab pods do not exist (pods there are Kubernetes'), so the table has no endpoints until an in-cluster proxy builds
/// it from the API; on the netns backend the endpoints are the pods attached when the step runs.
/// </summary>
internal static class ServiceDocuments
{
    public static NodeServicesDocument For(LabPlan plan, string node)
    {
        var table = StackServiceTable.Build(plan, _ => null);
        var context = StackServiceTable.Node(plan, node, IPAddress.Any) with { NodeIPs = [] }; // the address comes at apply time
        return new NodeServicesDocument(StackServiceTable.Backend(plan.Lab.Network.ServiceRules), context, table);
    }

    /// <summary>E.g. <c>service default/api 10.96.0.11:8080/TCP nodePort 30080 -> 0 endpoints</c>.</summary>
    public static ImmutableArray<string> Lines(LabPlan plan, NodeServicesDocument document)
    {
        var endpoints = plan.Lab.Backend == Backend.Netns ? "the pods attached" : "0 endpoints";
        return [.. document.Table.Services.OrderBy(s => s.Key, StringComparer.Ordinal).SelectMany(s => s.IsDnsOnly
            ? [$"service {s.Key} {(s.Type == ServiceType.ExternalName ? $"ExternalName {s.ExternalName}" : "headless")}: DNS only, no rules"]
            : s.Ports.Select(p => $"service {s.Key} {s.ClusterIP}:{p.Port}/{p.Protocol}" + (p.NodePort is { } n ? $" nodePort {n}" : "")
                + $" -> {endpoints} on port {p.TargetPort}" + Policies(s)))];
    }

    private static string Policies(Service s) =>
        (s.SessionAffinity == SessionAffinity.ClientIP ? " affinity=ClientIP" : "")
        + (s.ExternalTrafficPolicy == TrafficPolicy.Local ? " externalTrafficPolicy=Local" : "")
        + (s.InternalTrafficPolicy == TrafficPolicy.Local ? " internalTrafficPolicy=Local" : "");
}
