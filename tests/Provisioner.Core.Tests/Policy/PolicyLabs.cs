using System.Collections.Immutable;
using System.Net;
using Provisioner.Core.Config;
using Provisioner.Core.Model;
using Provisioner.Core.Policy;
using Provisioner.Core.Tests.Support;

namespace Provisioner.Core.Tests.Policy;

/// <summary>
/// The upstream e2e network policy suite's world (test/e2e/network/netpol): namespaces x, y, z with pods a, b, c
/// each, labelled pod=a|b|c and ns=x|y|z; each pod serves port 80 named serve-80-tcp. Pod addresses 10.244.N.M.
/// </summary>
internal static class PolicyLabs
{
    public static readonly string[] Namespaces = ["x", "y", "z"];
    public static readonly string[] PodNames = ["a", "b", "c"];

    public static LabConfig Upstream(string policiesYaml)
    {
        var (read, problems) = LabConfigReader.Read(key => key == ConfigKeys.NetworkPolicies ? policiesYaml : null, "lab");
        Assert.Empty(problems);
        var lab = Labs.Valid() with
        {
            Pods = [.. Namespaces.SelectMany(ns => PodNames.Select((p, i) => new PodSpec
            {
                Name = $"{ns}-{p}", Namespace = ns, Node = i == 0 ? "cp1" : $"worker{i}", Port = 80, PortName = "serve-80-tcp",
                Labels = Labs.Labels(("pod", p)),
            }))],
            Services = [],
            Namespaces = [.. Namespaces.Select(ns => new NamespaceSpec { Name = ns, Labels = Labs.Labels(("ns", ns)) })],
            NetworkPolicies = read.NetworkPolicies,
        };
        Assert.Empty(Provisioner.Core.Validation.LabValidator.Validate(lab));
        return lab;
    }

    public static IPAddress Address(PodSpec pod) =>
        IPAddress.Parse($"10.244.{Array.IndexOf(Namespaces, pod.Namespace) + 1}.{Array.IndexOf(PodNames, pod.Name[^1..]) + 10}");

    /// <summary>The matrix as cyclonus prints it: one row per source, '.' allowed, 'X' denied, for one port.</summary>
    public static string Matrix(LabConfig lab, int port, TransportProtocol protocol = TransportProtocol.TCP)
    {
        var evaluator = new PolicyEvaluator(lab);
        var pods = lab.Pods.Select(p => new PolicyEndpoint.Pod(p, Address(p))).ToList();
        return string.Join("\n", pods.Select(from => $"{Short(from.Spec)} " +
            string.Concat(pods.Select(to => evaluator.Check(from, to, port, protocol).Allowed ? "." : "X"))));
    }

    /// <summary>Expected rows built from who may reach whom.</summary>
    public static string Expect(Func<string, string, bool> allowed) =>
        string.Join("\n", Namespaces.SelectMany(ns => PodNames.Select(p => $"{ns}/{p}")).Select(from => $"{from} " +
            string.Concat(Namespaces.SelectMany(ns => PodNames.Select(p => $"{ns}/{p}")).Select(to => from == to || allowed(from, to) ? "." : "X"))));

    private static string Short(PodSpec pod) => $"{pod.Namespace}/{pod.Name[^1..]}";

    public static ImmutableArray<PolicyEndpoint.Pod> Endpoints(LabConfig lab) => [.. lab.Pods.Select(p => new PolicyEndpoint.Pod(p, Address(p)))];
}
