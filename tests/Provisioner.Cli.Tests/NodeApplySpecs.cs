using Provisioner.Fabric.Model;
using Provisioner.Host.Processes;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Cli.Tests;

/// <summary>
/// The netlab executable as a VM node runs it, but inside namespaces this test creates: a node "a" linked to a node
/// "b" by a veth pair (10.77.0.1/24 and 10.77.0.2/24, nowhere else), so "the host" is namespace a.
/// </summary>
[Collection(PrivilegedCollection.Name)]
public sealed class NodeApplySpecs : IDisposable
{
    private readonly TestNetns _netns = new();
    private readonly TempDir _dir = new();
    private static readonly string Netlab = Path.Combine(AppContext.BaseDirectory, "netlab.dll");

    [PrivilegedFact]
    public void I_can_apply_a_fabric_with_the_addresses_given_at_apply_time_and_apply_it_again_without_changes()
    {
        var (a, b) = TwoNodes();
        var file = _dir.File("fabric.json", FabricJson.Serialize(NodeCommandSpecs.RoutedFabric().WithoutAddresses()));
        string[] apply = ["dotnet", Netlab, "node", "fabric", "apply", file, "--node-address", "a=10.77.0.1", "--node-address", "b=10.77.0.2",
            "--state-dir", _dir.Of("applied")];

        var first = _netns.Exec(a, apply);
        Assert.True(first.Succeeded, first.StandardOutput + first.StandardError);
        Assert.Contains("+ route 10.244.2.0/24 via 10.77.0.2", first.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("10.244.2.0/24 via 10.77.0.2 dev eth0", _netns.Exec(a, "ip", "route", "show", "10.244.2.0/24").StandardOutput, StringComparison.Ordinal);
        Assert.Contains("10.244.1.1/24", _netns.Exec(a, "ip", "-4", "address", "show", "dev", FabricNames.Bridge).StandardOutput, StringComparison.Ordinal);
        Assert.Empty(_netns.Exec(b, "ip", "route", "show", "10.244.2.0/24").StandardOutput.Trim()); // only a was changed

        var again = _netns.Exec(a, apply);
        Assert.True(again.Succeeded, again.StandardOutput + again.StandardError);
        Assert.Contains("a: no changes", again.StandardOutput, StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public void I_can_apply_service_rules_with_the_nodes_address_given_at_apply_time()
    {
        var (a, _) = TwoNodes();
        var file = _dir.File("services.json", NodeCommandSpecs.Services().Serialize());
        string[] apply = ["dotnet", Netlab, "node", "services", "apply", file, "--node-address", "a=10.77.0.1", "--state-dir", _dir.Of("applied")];

        var first = _netns.Exec(a, apply);
        Assert.True(first.Succeeded, first.StandardOutput + first.StandardError);
        Assert.Contains("a: applied: Iptables", first.StandardOutput, StringComparison.Ordinal);
        var rules = _netns.Exec(a, "iptables-save", "-t", "nat").StandardOutput;
        Assert.Contains("10.96.0.10/32", rules, StringComparison.Ordinal);
        Assert.Contains("--to-destination 10.244.1.5:8080", rules, StringComparison.Ordinal);

        var again = _netns.Exec(a, apply);
        Assert.True(again.Succeeded, again.StandardOutput + again.StandardError);
        Assert.Contains("a: Iptables: no changes", again.StandardOutput, StringComparison.Ordinal);
    }

    /// <summary>What a reboot does to node a: its links, routes and rules are gone; only the saved documents remain.</summary>
    [PrivilegedFact]
    public void I_can_reapply_the_saved_fabric_and_service_rules_after_the_kernel_lost_them()
    {
        var (a, _) = TwoNodes();
        var applied = _dir.Of("applied");
        var fabric = _dir.File("fabric.json", FabricJson.Serialize(NodeCommandSpecs.RoutedFabric().WithoutAddresses()));
        var services = _dir.File("services.json", NodeCommandSpecs.Services().Serialize());
        Assert.True(_netns.Exec(a, "dotnet", Netlab, "node", "fabric", "apply", fabric, "--node-address", "a=10.77.0.1",
            "--node-address", "b=10.77.0.2", "--state-dir", applied).Succeeded);
        Assert.True(_netns.Exec(a, "dotnet", Netlab, "node", "services", "apply", services, "--node-address", "a=10.77.0.1", "--state-dir", applied).Succeeded);
        File.Delete(fabric); // reapply needs nothing but what apply saved
        File.Delete(services);
        Assert.Contains("\"underlayAddress\": \"10.77.0.2\"", File.ReadAllText(Path.Combine(applied, "fabric.json")), StringComparison.Ordinal);
        Assert.Contains("10.77.0.1", File.ReadAllText(Path.Combine(applied, "services.json")), StringComparison.Ordinal);

        var run = ProcessRunner.Default;
        run.Run("ip", "-n", a, "link", "del", FabricNames.Bridge);
        run.Run("ip", "-n", a, "route", "flush", "10.244.2.0/24");
        run.Run("ip", "netns", "exec", a, "iptables", "-t", "nat", "-F");
        Assert.DoesNotContain("10.96.0.10/32", _netns.Exec(a, "iptables-save", "-t", "nat").StandardOutput, StringComparison.Ordinal);

        var reapply = _netns.Exec(a, "dotnet", Netlab, "node", "reapply", "--state-dir", applied);

        Assert.True(reapply.Succeeded, reapply.StandardOutput + reapply.StandardError);
        Assert.Contains("10.244.2.0/24 via 10.77.0.2 dev eth0", _netns.Exec(a, "ip", "route", "show", "10.244.2.0/24").StandardOutput, StringComparison.Ordinal);
        Assert.Contains("10.244.1.1/24", _netns.Exec(a, "ip", "-4", "address", "show", "dev", FabricNames.Bridge).StandardOutput, StringComparison.Ordinal);
        Assert.Contains("--to-destination 10.244.1.5:8080", _netns.Exec(a, "iptables-save", "-t", "nat").StandardOutput, StringComparison.Ordinal);
        Assert.Contains("a: no changes", _netns.Exec(a, "dotnet", Netlab, "node", "reapply", "--state-dir", applied).StandardOutput, StringComparison.Ordinal);
    }

    private (string A, string B) TwoNodes()
    {
        var a = _netns.Create("nla");
        var b = _netns.Create("nlb");
        var run = ProcessRunner.Default;
        run.Run("ip", "-n", a, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", b);
        run.Run("ip", "-n", a, "address", "add", "10.77.0.1/24", "dev", "eth0");
        run.Run("ip", "-n", b, "address", "add", "10.77.0.2/24", "dev", "eth0");
        run.Run("ip", "-n", a, "link", "set", "eth0", "up");
        run.Run("ip", "-n", b, "link", "set", "eth0", "up");
        return (a, b);
    }

    public void Dispose()
    {
        _netns.Dispose();
        _dir.Dispose();
    }
}
