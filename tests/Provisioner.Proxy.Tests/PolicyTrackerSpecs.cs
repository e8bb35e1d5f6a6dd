using System.Collections.Immutable;
using System.Net;
using System.Text.Json;
using k8s;
using k8s.Models;
using Provisioner.Core.Model;
using Provisioner.Proxy.Policy;
using Provisioner.ServiceRules.Policy;
using Provisioner.StackRules;
using static Provisioner.Proxy.Tests.Fakes.PolicyApi;

namespace Provisioner.Proxy.Tests;

/// <summary>
/// NetworkPolicies, Namespaces and Pods from the API in, Core's model and the policy table out: the same table the
/// stack's code builds from the same facts (one reading of v1 for both labs).
/// </summary>
public sealed class PolicyTrackerSpecs
{
    private static int Resourced;

    private static T Versioned<T>(T item) where T : IKubernetesObject<V1ObjectMeta>
    {
        item.Metadata.ResourceVersion = Interlocked.Increment(ref Resourced).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return item;
    }

    private static string Json(object value) => JsonSerializer.Serialize(value);

    private static PolicyTracker Tracker(IEnumerable<V1NetworkPolicy> policies, IEnumerable<V1Pod> pods, params V1Namespace[] namespaces)
    {
        var tracker = new PolicyTracker();
        tracker.ReplacePolicies([.. policies.Select(Versioned)]);
        tracker.ReplacePods([.. pods.Select(Versioned)]);
        tracker.ReplaceNamespaces([.. namespaces.Select(Versioned)]);
        return tracker;
    }

    private static PodPolicyRules Rules(PolicyTable table, string pod) => table.Pods.Single(p => p.Pod == pod);

    /// <summary>Every field v1 has, in one policy: the model reads it as the stack file's reader would.</summary>
    private static V1NetworkPolicy Everything() => NetworkPolicy("web", new V1NetworkPolicySpec
    {
        PodSelector = new V1LabelSelector
        {
            MatchLabels = Labels(("app", "web")),
            MatchExpressions = [new V1LabelSelectorRequirement { Key = "tier", OperatorProperty = "NotIn", Values = ["db"] }],
        },
        PolicyTypes = ["Ingress", "Egress"],
        Ingress = [new V1NetworkPolicyIngressRule
        {
            FromProperty =
            [
                new V1NetworkPolicyPeer { NamespaceSelector = Selecting(("team", "blue")), PodSelector = new V1LabelSelector
                {
                    MatchExpressions = [new V1LabelSelectorRequirement { Key = "role", OperatorProperty = "Exists" }],
                } },
                new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "192.168.64.0/24", Except = ["192.168.64.0/25"] } },
            ],
            Ports = [new V1NetworkPolicyPort { Port = "http" }, new V1NetworkPolicyPort { Protocol = "TCP", Port = 9000, EndPort = 9100 }],
        }],
        Egress = [new V1NetworkPolicyEgressRule { To = [new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "10.0.0.0/8" } }] }],
    });

    [Fact]
    public void A_policy_from_the_API_becomes_the_model_the_stack_file_gives()
    {
        var expected = new NetworkPolicySpec
        {
            Name = "web", Namespace = "lab",
            PodSelector = new LabelSelector
            {
                MatchLabels = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("app", "web")]),
                MatchExpressions = [new SelectorRequirement("tier", SelectorOperator.NotIn, ["db"])],
            },
            PolicyTypes = [PolicyType.Ingress, PolicyType.Egress],
            Ingress = [new PolicyRuleSpec
            {
                Peers =
                [
                    new PolicyPeerSpec
                    {
                        NamespaceSelector = new LabelSelector { MatchLabels = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("team", "blue")]) },
                        PodSelector = new LabelSelector { MatchExpressions = [new SelectorRequirement("role", SelectorOperator.Exists, [])] },
                    },
                    new PolicyPeerSpec { IpBlock = new IpBlockSpec("192.168.64.0/24", ["192.168.64.0/25"]) },
                ],
                Ports = [new PolicyPortSpec { Port = "http" }, new PolicyPortSpec { Port = "9000", EndPort = 9100 }],
            }],
            Egress = [new PolicyRuleSpec { Peers = [new PolicyPeerSpec { IpBlock = new IpBlockSpec("10.0.0.0/8", []) }] }],
        };

        Assert.Equal(Json(expected), Json(PolicyConversion.ToPolicy(Everything())));
    }

    [Fact]
    public void The_table_from_the_API_is_the_table_the_stacks_code_builds_from_the_same_facts()
    {
        var pods = new[]
        {
            Pod("web-1", "node-a", "10.244.1.2", Labels(("app", "web")), ContainerPort("http", 8080)),
            Pod("client", "node-b", "10.244.2.2", Labels(("role", "client"))),
            Pod("other", "node-b", "10.244.2.3", Labels(("role", "client"))).InNamespace("red"),
        };
        var api = Tracker([Everything()], pods, Namespace("lab", ("team", "blue")), Namespace("red")).Snapshot().Table;
        var lab = new LabConfig
        {
            Name = "t",
            Namespaces = [new NamespaceSpec { Name = "lab", Labels = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("team", "blue")]) }],
            NetworkPolicies = [PolicyConversion.ToPolicy(Everything())],
            Pods =
            [
                new PodSpec { Name = "web-1", Namespace = "lab", Node = "node-a", Labels = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("app", "web")]), PortName = "http" },
                new PodSpec { Name = "client", Namespace = "lab", Node = "node-b", Labels = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("role", "client")]) },
                new PodSpec { Name = "other", Namespace = "red", Node = "node-b", Labels = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("role", "client")]) },
            ],
        };
        var addresses = new Dictionary<string, string> { ["web-1"] = "10.244.1.2", ["client"] = "10.244.2.2", ["other"] = "10.244.2.3" };
        var stack = StackPolicyTable.Build(lab, p => IPAddress.Parse(addresses[p]));

        Assert.Equal(Json(stack), Json(api));
        var ingress = Rules(api, "lab/web-1").Ingress!;
        // blue's pods with a role (client, not other of red); the block less its except; http is web-1's 8080
        Assert.Equal(["10.244.2.2/32", "192.168.64.128/25"], ingress.Allows[0].Peers!.Value.ToArray());
        Assert.Equal(["tcp/9000-9100", "tcp/8080"], ingress.Allows[0].Ports.Select(p => p.ToString()));
    }

    [Fact]
    public void A_named_port_resolves_on_each_pods_own_container_ports()
    {
        var tracker = Tracker([AllowFrom("http-from-client", ("app", "web"), ("role", "client"), "http")],
        [
            Pod("web-1", "node-a", "10.244.1.2", Labels(("app", "web")), ContainerPort("http", 8080), ContainerPort("metrics", 9100)),
            Pod("web-2", "node-b", "10.244.2.2", Labels(("app", "web")), ContainerPort("http", 9090)),
            Pod("web-3", "node-b", "10.244.2.4", Labels(("app", "web")), ContainerPort("http", 53, "UDP")),
            Pod("client", "node-b", "10.244.2.3", Labels(("role", "client"))),
        ]);
        var table = tracker.Snapshot().Table;

        Assert.Equal(["tcp/8080"], Rules(table, "lab/web-1").Ingress!.Allows.SelectMany(a => a.Ports).Select(p => p.ToString()));
        Assert.Equal(["tcp/9090"], Rules(table, "lab/web-2").Ingress!.Allows.SelectMany(a => a.Ports).Select(p => p.ToString()));
        Assert.Empty(Rules(table, "lab/web-3").Ingress!.Allows); // its "http" is UDP: the TCP rule names no port of it
        Assert.Equal(["10.244.2.3/32"], Rules(table, "lab/web-1").Ingress!.Allows[0].Peers!.Value.ToArray());
    }

    [Fact]
    public void A_namespace_selector_matches_the_namespaces_labels_and_its_name_label_even_without_its_object()
    {
        var byName = NetworkPolicy("from-red", new V1NetworkPolicySpec
        {
            PodSelector = new V1LabelSelector(),
            Ingress = [new V1NetworkPolicyIngressRule { FromProperty = [new V1NetworkPolicyPeer { NamespaceSelector = Selecting(("kubernetes.io/metadata.name", "red")) }] }],
        });
        var byLabel = NetworkPolicy("from-blue", new V1NetworkPolicySpec
        {
            PodSelector = new V1LabelSelector(),
            Ingress = [new V1NetworkPolicyIngressRule { FromProperty = [new V1NetworkPolicyPeer { NamespaceSelector = Selecting(("team", "blue")) }] }],
        });
        var pods = new[]
        {
            Pod("web", "node-a", "10.244.1.2", Labels()),
            Pod("r", "node-a", "10.244.1.3", Labels()).InNamespace("red"), // red has no Namespace object (yet)
            Pod("b", "node-a", "10.244.1.4", Labels()).InNamespace("blue"),
        };
        var table = Tracker([byName, byLabel], pods, Namespace("blue", ("team", "blue"))).Snapshot().Table;

        Assert.Equal(["lab/from-red ingress[0]", "lab/from-blue ingress[0]"], Rules(table, "lab/web").Ingress!.Allows.Select(a => a.Rule).Order().Reverse());
        Assert.Equal(["10.244.1.3/32"], Rules(table, "lab/web").Ingress!.Allows.Single(a => a.Rule.Contains("red", StringComparison.Ordinal)).Peers!.Value.ToArray());
        Assert.Equal(["10.244.1.4/32"], Rules(table, "lab/web").Ingress!.Allows.Single(a => a.Rule.Contains("blue", StringComparison.Ordinal)).Peers!.Value.ToArray());
    }

    [Fact]
    public void Pods_without_an_address_on_the_host_network_or_finished_are_neither_isolated_nor_peers()
    {
        var host = Pod("host", "node-a", "192.168.77.1", Labels(("role", "client")));
        host.Spec.HostNetwork = true;
        var done = Pod("done", "node-a", "10.244.1.9", Labels(("role", "client")));
        done.Status.Phase = "Succeeded";
        var pods = new[]
        {
            Pod("web", "node-a", "10.244.1.2", Labels(("app", "web")), ContainerPort("http", 8080)),
            Pod("pending", "node-a", null, Labels(("app", "web"))), host, done,
            Pod("client", "node-b", "10.244.2.2", Labels(("role", "client"))),
        };
        var snapshot = Tracker([AllowFrom("p", ("app", "web"), ("role", "client"), 8080)], pods).Snapshot();

        Assert.Equal(2, snapshot.Pods); // web and client: pending has no address, host and done do not count
        Assert.Equal(["lab/web"], snapshot.Table.Pods.Select(p => p.Pod));
        Assert.Equal(["10.244.2.2/32"], Rules(snapshot.Table, "lab/web").Ingress!.Allows[0].Peers!.Value.ToArray());
    }

    [Fact]
    public void A_policy_the_rules_cannot_express_is_skipped_once_with_its_field_named_and_the_others_go_on()
    {
        var icmp = NetworkPolicy("icmp", new V1NetworkPolicySpec
        {
            PodSelector = new V1LabelSelector(),
            Ingress = [new V1NetworkPolicyIngressRule { Ports = [new V1NetworkPolicyPort { Protocol = "ICMP" }] }],
        });
        var tracker = Tracker([icmp, DenyAllIngress()], [Pod("web", "node-a", "10.244.1.2", Labels())]);

        var first = tracker.Snapshot();
        var second = tracker.Snapshot();

        Assert.Equal(["NetworkPolicy lab/icmp: skipped: spec.ingress[0].ports[0].protocol: 'ICMP' is not one of TCP, UDP, SCTP"], first.SkipReasons);
        Assert.Empty(second.SkipReasons);
        Assert.Equal(["lab/deny-all"], Rules(first.Table, "lab/web").Ingress!.IsolatedBy.ToArray());
    }

    [Fact]
    public void An_IPv6_block_is_left_out_and_a_rule_of_only_IPv6_blocks_allows_nothing()
    {
        var dual = NetworkPolicy("dual", new V1NetworkPolicySpec
        {
            PodSelector = new V1LabelSelector(),
            Ingress =
            [
                new V1NetworkPolicyIngressRule { FromProperty = [new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "fd00::/64" } }] },
                new V1NetworkPolicyIngressRule { FromProperty = [new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "fd00::/64" } },
                    new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "10.0.0.0/8" } }] },
            ],
        });
        var table = Tracker([dual], [Pod("web", "node-a", "10.244.1.2", Labels())]).Snapshot().Table;

        var allows = Rules(table, "lab/web").Ingress!.Allows;
        Assert.Equal(["10.0.0.0/8"], Assert.Single(allows).Peers!.Value.ToArray());
    }

    [Fact]
    public async Task Only_a_change_of_the_nodes_part_is_programmed_and_a_full_sync_always_is()
    {
        var pods = new[]
        {
            Pod("web", "node-a", "10.244.1.2", Labels(("app", "web"))),
            Pod("b", "node-b", "10.244.2.2", Labels(("app", "b"))),
        };
        var tracker = Tracker([DenyAllIngress()], pods);
        var config = Provisioner.Proxy.Config.ProxyConfigFile.Parse("clusterCIDR: 10.244.0.0/16\nserviceCIDR: 10.96.0.0/16\npodCIDR: 10.244.1.0/24\n");
        var programmed = new List<PolicyTable>();
        var controller = new PolicyController("node-a", config, tracker, () => null, (t, n, _) =>
        {
            programmed.Add(t);
            return Task.FromResult(new ServiceRules.Applying.RulePlan(ServiceRules.Applying.RuleBackend.Nftables, null, [], "", true));
        }, new Health.ProxyMetrics(), _ => { });

        await controller.SyncAsync(false, default);
        await controller.SyncAsync(false, default); // nothing changed: no kernel read or write
        var egressElsewhere = NetworkPolicy("b-egress", new V1NetworkPolicySpec { PodSelector = Selecting(("app", "b")), PolicyTypes = ["Egress"] });
        tracker.OnPolicy(WatchEventType.Added, Versioned(egressElsewhere)); // node-b's pod's egress: not node-a's part
        await controller.SyncAsync(false, default);
        Assert.Single(programmed);

        await controller.SyncAsync(true, default);
        tracker.OnPolicy(WatchEventType.Deleted, DenyAllIngress());
        await controller.SyncAsync(false, default);

        Assert.Equal(3, controller.Programmed);
        Assert.Equal(["lab/b"], programmed[^1].Pods.Select(p => p.Pod));
    }

    [Fact]
    public async Task On_the_OVS_fabric_same_node_traffic_goes_through_the_node_exactly_while_the_node_has_policy_rules()
    {
        var pods = new[]
        {
            Pod("web", "node-a", "10.244.1.2", Labels(("app", "web"))),
            Pod("b", "node-b", "10.244.2.2", Labels(("app", "b"))),
        };
        var tracker = Tracker([], pods);
        var config = Provisioner.Proxy.Config.ProxyConfigFile.Parse(
            "clusterCIDR: 10.244.0.0/16\nserviceCIDR: 10.96.0.0/16\npodCIDR: 10.244.1.0/24\novsRunDirectory: /var/run/openvswitch\n");
        var bridge = false; // what the fake bridge holds: the path's flows or not
        var asked = new List<bool>();
        var controller = new PolicyController("node-a", config, tracker, () => null,
            (_, _, _) => Task.FromResult(new ServiceRules.Applying.RulePlan(ServiceRules.Applying.RuleBackend.Nftables, null, [], "", true)),
            new Health.ProxyMetrics(), _ => { }, (node, wanted, _) =>
            {
                Assert.Equal("10.244.1.0/24", node.PodSubnet);
                asked.Add(wanted);
                IReadOnlyList<string> drift = bridge == wanted ? [] : [wanted ? "+ flow" : "- flow"];
                bridge = wanted;
                return Task.FromResult(drift);
            });

        await controller.SyncAsync(false, default); // no policy: the bridge switches same-node traffic
        Assert.False(bridge);
        tracker.OnPolicy(WatchEventType.Added, Versioned(DenyAllIngress()));
        await controller.SyncAsync(false, default);
        Assert.True(bridge);
        bridge = false; // the flows deleted by hand: the next full sync puts them back
        await controller.SyncAsync(true, default);
        Assert.True(bridge);
        tracker.OnPolicy(WatchEventType.Deleted, DenyAllIngress());
        tracker.OnPolicy(WatchEventType.Added, Versioned(NetworkPolicy("b-egress",
            new V1NetworkPolicySpec { PodSelector = Selecting(("app", "b")), PolicyTypes = ["Egress"] })));
        await controller.SyncAsync(false, default); // only node-b's egress is isolated: node-a's pods need no detour

        Assert.False(bridge);
        Assert.Equal([false, true, true, false], asked);
        Assert.Equal("ovsRunDirectory: /var/run/openvswitch", config.ToYaml().Split('\n').Single(l => l.StartsWith("ovs", StringComparison.Ordinal)));
        var refused = Assert.Throws<InvalidDataException>(() => Provisioner.Proxy.Config.ProxyConfigFile.Parse(
            "clusterCIDR: 10.244.0.0/16\nserviceCIDR: 10.96.0.0/16\novsRunDirectory: run/openvswitch\n"));
        Assert.Contains("ovsRunDirectory: 'run/openvswitch' is not an absolute path; write e.g. ovsRunDirectory: /var/run/openvswitch", refused.Message, StringComparison.Ordinal);
    }
}
