using System.Net;
using Provisioner.Proxy.Tests.Lab;
using Provisioner.Testing;
using static Provisioner.Proxy.Tests.Fakes.Api;
using static Provisioner.ServiceRules.Tests.Lab.TwoNodeLab;

namespace Provisioner.Proxy.Tests;

/// <summary>
/// LoadBalancers as netlab-proxy does them on the VM lab, with a real proxy per lab node against the fake API: the
/// allocator writes the EXTERNAL-IP once, exactly one node answers ARP for it, and the outside client reaches it over
/// real TCP; Local policy and node failure move the announcement.
/// </summary>
[Collection(PrivilegedCollection.Name)]
public sealed class LoadBalancerLabSpecs(LabFixture fixture) : IClassFixture<LabFixture>
{
    private static readonly (string, int, string)[] Http = [("http", ServerPort, "TCP")];

    private static k8s.Models.V1Endpoint Pod(string pod) => Servers.Single(s => s.Pod == pod) is var s ? Endpoint(s.Address, s.Node) : throw new InvalidOperationException();

    private static string StatusPatches(LoadBalancerLab lab, string service) =>
        string.Join("\n", lab.Api.Requests.Where(r => r.StartsWith($"PATCH /api/v1/namespaces/{Namespace}/services/{service}/status", StringComparison.Ordinal)));

    /// <summary>A LoadBalancer Service with an EndpointSlice of <paramref name="pods"/>; returns the EXTERNAL-IP written for it.</summary>
    private static async Task<IPAddress> LoadBalancerAsync(LoadBalancerLab lab, string name, string clusterIp, int nodePort, string policy, params string[] pods)
    {
        lab.Api.Upsert(Service(name, clusterIp, Port("http", 80, ServerPort, nodePort: nodePort)).LoadBalancer(policy));
        lab.Api.Upsert(Slice($"{name}-1", name, Http, [.. pods.Select(Pod)]));
        return await lab.IngressAsync(name);
    }

    [PrivilegedFact]
    public async Task The_outside_client_reaches_a_LoadBalancer_at_the_address_the_allocator_wrote_once_and_one_node_announces()
    {
        await using var lab = await LoadBalancerLab.StartAsync(fixture.Lab);
        var ip = await LoadBalancerAsync(lab, "web", "10.96.0.30", 30081, "Cluster", "a1", "b1");
        var announcer = await lab.AnnouncerAsync(ip);
        var answer = await lab.ReachedAsync(ip, "a1", "b1");

        Assert.True(IPNetwork2.Parse(LoadBalancerLab.Pool).Contains(ip), $"{ip} is not in the pool");
        Assert.Equal([announcer], await lab.HoldersAsync(ip));
        // The proxy logs after it acts, and its output is read as it arrives: the line may trail the address.
        await (announcer == "node-a" ? lab.ProxyA : lab.ProxyB).LineAsync(0, $"answers ARP for {ip} on eth0 (service lab/web;");
        Assert.Single(StatusPatches(lab, "web").Split('\n')); // both proxies run; only the allocator writes, and once
        Assert.DoesNotContain("status written", lab.ProxyB.Log, StringComparison.Ordinal);
        Assert.NotNull(answer.Pod);
    }

    [PrivilegedFact]
    public async Task With_Local_policy_the_node_of_the_endpoint_announces_and_the_client_address_is_kept()
    {
        await using var lab = await LoadBalancerLab.StartAsync(fixture.Lab);
        var ip = await LoadBalancerAsync(lab, "api", "10.96.0.31", 30082, "Local", "b1");

        await lab.AnnouncedByAsync(ip, "node-b");
        var answer = await lab.ReachedAsync(ip, "b1");
        Assert.Equal(OutsideClientIp, answer.ClientAddress);

        lab.Api.Upsert(Slice("api-1", "api", Http, Pod("a1"))); // the endpoint moves to node-a: so does the address
        await lab.AnnouncedByAsync(ip, "node-a");
        answer = await lab.ReachedAsync(ip, "a1");
        Assert.Equal(OutsideClientIp, answer.ClientAddress);
    }

    [PrivilegedFact]
    public async Task When_the_announcing_node_goes_NotReady_or_away_the_other_announces_and_the_client_reaches_it_again()
    {
        await using var lab = await LoadBalancerLab.StartAsync(fixture.Lab);
        var ip = await LoadBalancerAsync(lab, "web", "10.96.0.32", 30083, "Cluster", "a1", "b1");
        var first = await lab.AnnouncerAsync(ip);
        var other = first == "node-a" ? "node-b" : "node-a";
        var otherPod = other == "node-a" ? "a1" : "b1";
        await lab.ReachedAsync(ip, "a1", "b1");

        // NotReady: the node controller's verdict; its endpoints leave the slice as the EndpointSlice controller does.
        lab.Api.Upsert(Node(first, first == "node-a" ? NodeAIp : NodeBIp).Ready("False"));
        lab.Api.Upsert(Slice("web-1", "web", Http, Pod(otherPod)));
        await lab.AnnouncedByAsync(ip, other);
        await lab.ReachedAsync(ip, otherPod);

        lab.Api.Upsert(Node(first, first == "node-a" ? NodeAIp : NodeBIp).Ready("True")); // back: hash order gives it back
        await lab.AnnouncedByAsync(ip, first);
        await lab.ReachedAsync(ip, otherPod);

        lab.Api.Delete(Node(first, "")); // away: its Node object deleted
        await lab.AnnouncedByAsync(ip, other);
        await lab.ReachedAsync(ip, otherPod);
    }
}
