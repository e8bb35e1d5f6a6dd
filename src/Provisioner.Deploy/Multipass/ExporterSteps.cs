using System.Collections.Immutable;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Rendering.Templates;

namespace Provisioner.Deploy.Multipass;

/// <summary>
/// netlab-metrics on every VM node: <c>netlab metrics --node NAME</c> as a systemd unit, serving the node's own
/// counters (service rules, conntrack, retransmits, interfaces) on <c>network.exporterBindAddress</c> for a Prometheus
/// on the host. It reads only the node (no stack, no API, no secret), so the step is a unit file and a restart; it
/// updates in place, its triggers naming the address and the unit.
/// </summary>
public static class ExporterSteps
{
    public const string Prefix = "metrics-";
    public const string Unit = "netlab-metrics";
    public const string UnitPath = "/etc/systemd/system/netlab-metrics.service";

    /// <summary>Open vSwitch's database as the VMs' openvswitch-switch runs it, where the fabric's tunnels are OVS ports.</summary>
    public const string SystemOvsDbSocket = "/run/openvswitch/db.sock";

    public static string Id(string node) => Prefix + node;

    /// <param name="machine">The VM's trigger: a replaced VM gets the unit again.</param>
    public static CommandStep ForNode(DeploymentPlanner.Inputs inputs, string node, ImmutableSortedDictionary<string, string> machine)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var plan = inputs.Plan;
        var vm = Rendering.Models.RenderModels.Hostname(plan.Lab, node);
        var text = Render(plan, node);
        var unit = new LocalFile($"{inputs.Options.WorkDir}/{node}/{Unit}.service", text, Hash.Sha256(text));
        var create = Shell.AllOf(
            MultipassCommands.Install(vm, [new NodeTransfer(unit.Path, UnitPath, "0644")]),
            MultipassCommands.Exec(vm, "sudo", "systemctl", "daemon-reload"),
            MultipassCommands.Exec(vm, "sudo", "systemctl", "enable", Unit),
            MultipassCommands.Exec(vm, "sudo", "systemctl", "restart", Unit));
        return new CommandStep
        {
            Id = Id(node), PlanStepId = LabPlan.MachineId(node), Kind = StepKind.Machine, Node = node,
            Summary = $"netlab-metrics on {vm}: the node's counters for Prometheus on {plan.Lab.Network.ExporterBindAddress}",
            Create = create,
            Update = create,
            OnChange = ChangeMode.UpdateInPlace,
            Delete = MultipassCommands.ExecIfPresent(vm, "sudo", "systemctl", "disable", "--now", Unit),
            // The netlab binary reaches the node with its fabric.
            DependsOn = [LabPlan.FabricId(node), BuildSteps.BinariesId],
            LocalFiles = [unit],
            Triggers = machine
                .Add("metrics.listen", plan.Lab.Network.ExporterBindAddress)
                .Add("file.netlab-metrics.service", Hash.Short(unit.Sha256))
                .Add("binaries", inputs.Options.SourceVersion),
        };
    }

    /// <summary>The node's unit file, as the template renders it.</summary>
    public static string Render(LabPlan plan, string node)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return TemplateRenderer.Embedded.Render("metrics/netlab-metrics.service.sbn", new
        {
            Lab = plan.Lab.Name, Node = node, Hostname = Rendering.Models.RenderModels.Hostname(plan.Lab, node), Netlab = NodeFileNames.NodeNetlab,
            Mode = EnumNames.Of(plan.Lab.Network.ServiceRules), Listen = plan.Lab.Network.ExporterBindAddress,
            OvsDb = plan.Lab.Network.Fabric == FabricKind.OvsVxlan ? SystemOvsDbSocket : null,
        });
    }
}
