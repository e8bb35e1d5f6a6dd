using System.Text.Json;
using System.Text.Json.Serialization;
using Provisioner.Core.Planning;
using Provisioner.Host.Iproute;
using Provisioner.Netns;

namespace Provisioner.Observability.Drills;

/// <summary>A command run to break or to restore the lab (arguments, never a shell string).</summary>
public sealed record DrillCommand(IReadOnlyList<string> Arguments);

/// <summary>
/// A failure applied to a running lab. <see cref="Symptom"/> is what the learner will observe, never what broke;
/// <see cref="Layer"/> is what <c>netlab verify</c> names (kept out of the learner's view until the drill stops).
/// </summary>
public sealed record Drill(string Name, string Symptom, string Layer, IReadOnlyList<DrillCommand> Break, IReadOnlyList<DrillCommand> Restore,
    bool UpRepairs, string Explanation);

/// <summary>The drill running in a lab, kept in its state directory so <c>netlab drill stop</c> can undo it from another process.</summary>
public sealed record ActiveDrill(Drill Drill, DateTimeOffset Started)
{
    public static string PathFor(LabLayout layout) => System.IO.Path.Combine(layout.Directory, "drill.json");

    public static ActiveDrill? Load(LabLayout layout) =>
        File.Exists(PathFor(layout)) ? JsonSerializer.Deserialize(File.ReadAllText(PathFor(layout)), DrillJson.Default.ActiveDrill) : null;

    public void Save(LabLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Directory.CreateDirectory(layout.Directory);
        File.WriteAllText(PathFor(layout), JsonSerializer.Serialize(this, DrillJson.Default.ActiveDrill));
    }

    public static void Clear(LabLayout layout) => File.Delete(PathFor(layout));
}

[JsonSerializable(typeof(ActiveDrill))]
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class DrillJson : JsonSerializerContext;

/// <summary>The catalogue: each drill computed for a lab (its node names, subnets and services).</summary>
public static class DrillCatalog
{
    public static IReadOnlyList<Drill> For(LabPlan plan, LabLayout layout)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(layout);
        var drills = new List<Drill>();
        var nodes = plan.Addresses.Nodes;
        var byNode = plan.Lab.Pods.GroupBy(p => p.Node).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        var pair = nodes.Where(n => byNode.Contains(n.Node.Name)).Take(2).ToList();
        if (pair.Count == 2 && plan.Lab.Network.Fabric != Core.Model.FabricKind.OvsVxlan)
        {
            var (from, to) = (pair[0], pair[1]);
            var ns = layout.NodeNamespace(from.Node.Name);
            drills.Add(new Drill("lost-route",
                $"Pods on {from.Node.Name} get no answer from pods on {to.Node.Name}; pods on the same node, and pods on {to.Node.Name} calling each other, are fine.",
                "Fabric",
                [new(["ip", "-n", ns, "route", "del", to.PodSubnet.ToString()])],
                [],
                UpRepairs: true,
                $"{from.Node.Name}'s route to {to.Node.Name}'s pod subnet {to.PodSubnet} was deleted (ip -n {ns} route)."));
        }
        if (plan.Addresses.Services.FirstOrDefault(s => s.ClusterIP is not null && s.Ports.Length > 0) is { } service)
        {
            var port = service.Ports[0];
            string[] rule = ["-d", $"{service.ClusterIP}/32", "-p", port.Protocol.ToString().ToLowerInvariant(), "--dport", port.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-m", "comment", "--comment", "netlab drill", "-j", "DROP"];
            drills.Add(new Drill("service-blackhole",
                $"Connections to service {service.Spec.Name} ({service.ClusterIP}:{port.Port}) hang and time out, from every pod; its pods answer when called directly.",
                "ServiceRules",
                [.. nodes.Select(n => new DrillCommand(NetnsExec.Argv(layout.NodeNamespace(n.Node.Name), "iptables-nft", ["-t", "mangle", "-I", "PREROUTING", "1", .. rule])))],
                [.. nodes.Select(n => new DrillCommand(NetnsExec.Argv(layout.NodeNamespace(n.Node.Name), "iptables-nft", ["-t", "mangle", "-D", "PREROUTING", .. rule])))],
                UpRepairs: false,
                $"A DROP rule for {service.ClusterIP}:{port.Port} in the mangle table's PREROUTING chain of every node, before the service rules' DNAT " +
                "(iptables-save -t mangle). It is not netlab's rule, so `netlab up` leaves it; `netlab drill stop` removes it."));
        }
        return drills;
    }
}
