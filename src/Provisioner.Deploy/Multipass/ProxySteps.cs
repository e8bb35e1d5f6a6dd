using System.Collections.Immutable;
using System.Net;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Fabric.Ovs;
using Provisioner.Rendering.Templates;
using Provisioner.ServiceRules.Sources;
using Provisioner.StackRules;

namespace Provisioner.Deploy.Multipass;

/// <summary>
/// netlab-proxy on the VM lab (<c>serviceProxy: netlab</c>): once the cluster exists it is the only writer of each
/// node's Service rules, replacing the stack's one-shot <c>netlab node services apply</c>. One step on the control
/// plane applies its RBAC; one step per node installs the systemd unit and config, pipes the kubeconfig of its
/// ServiceAccount from the control plane straight into the node (a secret: never a command line, an input or an
/// output in the state, as the join tokens), and (re)starts it. The node step updates in place, its triggers being the config's lines, so a preview
/// shows exactly which setting changes.
/// </summary>
public static class ProxySteps
{
    public const string AccessId = "proxy-access";
    public const string UnitPath = "/etc/systemd/system/netlab-proxy.service";
    public const string ConfigPath = "/etc/netlab/proxy/config.yaml";
    public const string KubeconfigPath = "/etc/netlab/proxy/kubeconfig";
    public const string RbacPath = "/etc/netlab/proxy/rbac.yaml";
    public const string PrintKubeconfigPath = "/opt/netlab/bin/print-proxy-kubeconfig.sh";

    /// <summary>The control-plane step: RBAC applied, the script that prints the ServiceAccount's kubeconfig installed.</summary>
    public static CommandStep Access(DeploymentPlanner.Inputs inputs)
    {
        var plan = inputs.Plan;
        var cp = plan.Lab.ControlPlane.Name;
        var vm = Vm(plan, cp);
        var model = new { Lab = plan.Lab.Name, Hostname = vm, Rbac = RbacPath };
        var rbac = Local(inputs, cp, "proxy-rbac.yaml", TemplateRenderer.Embedded.Render("proxy/rbac.yaml.sbn", model));
        var script = Local(inputs, cp, "print-proxy-kubeconfig.sh", TemplateRenderer.Embedded.Render("proxy/print-proxy-kubeconfig.sh.sbn", model));
        var cluster = plan.Step(LabPlan.ControlPlaneId).Triggers;
        return new CommandStep
        {
            Id = AccessId, PlanStepId = LabPlan.ControlPlaneId, Kind = StepKind.ControlPlane, Node = cp,
            Summary = $"netlab-proxy's ServiceAccount and RBAC (list/watch services, endpointslices, nodes, networkpolicies, pods, namespaces; patch services/status) on {vm}",
            Create = Shell.AllOf(
                MultipassCommands.Install(vm, [new NodeTransfer(rbac.Path, RbacPath, "0644"), new NodeTransfer(script.Path, PrintKubeconfigPath, "0755")]),
                MultipassCommands.Exec(vm, "sudo", "kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf", "apply", "-f", RbacPath)),
            Delete = MultipassCommands.ExecIfPresent(vm, "sudo", "kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf", "delete", "--ignore-not-found", "-f", RbacPath),
            DependsOn = [LabPlan.ControlPlaneId],
            LocalFiles = [rbac, script],
            Triggers = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal)
                .Add("cluster", Hash.Short(Hash.Sha256(string.Join('\n', cluster.Select(t => $"{t.Key}={t.Value}")))))
                .Add("file.proxy-rbac.yaml", Hash.Short(rbac.Sha256)).Add("file.print-proxy-kubeconfig.sh", Hash.Short(script.Sha256)),
        };
    }

    /// <summary>The node step that takes the place of the plan's service-rules step for that node.</summary>
    /// <param name="machine">The VM's trigger: a replaced VM gets netlab-proxy again.</param>
    public static CommandStep ForNode(DeploymentPlanner.Inputs inputs, PlanStep serviceRules, ImmutableSortedDictionary<string, string> machine)
    {
        var plan = inputs.Plan;
        var node = serviceRules.Node!;
        var vm = Vm(plan, node);
        var (unitText, configText) = Render(plan, node);
        var unit = Local(inputs, node, "netlab-proxy.service", unitText);
        var config = Local(inputs, node, "proxy-config.yaml", configText);
        var create = Shell.AllOf(
            MultipassCommands.Install(vm, [new NodeTransfer(unit.Path, UnitPath, "0644"), new NodeTransfer(config.Path, ConfigPath, "0644")]),
            // The printing script writes all of the kubeconfig or nothing; an empty one fails the step (test -s).
            Shell.Pipe(MultipassCommands.Exec(Vm(plan, plan.Lab.ControlPlane.Name), "sudo", PrintKubeconfigPath),
                MultipassCommands.ExecReadingStdin(vm, "sudo", "install", "-D", "-m", "0600", "/dev/stdin", KubeconfigPath)),
            MultipassCommands.Exec(vm, "sudo", "test", "-s", KubeconfigPath),
            MultipassCommands.Exec(vm, "sudo", "systemctl", "daemon-reload"),
            MultipassCommands.Exec(vm, "sudo", "systemctl", "enable", "netlab-proxy"),
            MultipassCommands.Exec(vm, "sudo", "systemctl", "restart", "netlab-proxy"));
        return new CommandStep
        {
            // The plan's service-rules step, carried out by netlab-proxy: the same id, so the step keeps its name and state.
            Id = serviceRules.Id, PlanStepId = serviceRules.Id, Kind = StepKind.ServiceRules, Node = node,
            Summary = $"netlab-proxy on {vm}: Service rules from the Kubernetes API ({EnumNames.Of(plan.Lab.Network.ServiceRules)})",
            Create = create,
            Update = create,
            OnChange = ChangeMode.UpdateInPlace,
            Delete = Shell.AllOf(
                MultipassCommands.ExecIfPresent(vm, "sudo", "systemctl", "disable", "--now", "netlab-proxy"),
                MultipassCommands.ExecIfPresent(vm, "sudo", NodeFileNames.NodeNetlab, "proxy", "--cleanup", "--config", ConfigPath,
                    "--proxy-mode", EnumNames.Of(plan.Lab.Network.ServiceRules))),
            Logging = StepLogging.Stderr,
            DependsOn = [.. serviceRules.DependsOn, AccessId, BuildSteps.BinariesId],
            LocalFiles = [unit, config],
            Triggers = ConfigTriggers(configText).AddRange(machine)
                .Add("file.netlab-proxy.service", Hash.Short(unit.Sha256))
                .Add("binaries", inputs.Options.SourceVersion),
        };
    }

    /// <summary>The unit and config files of a node, as the templates render them.</summary>
    public static (string Unit, string Config) Render(LabPlan plan, string node)
    {
        var context = StackServiceTable.Node(plan, node, IPAddress.Any);
        var config = TemplateRenderer.Embedded.Render("proxy/config.yaml.sbn", new
        {
            context.ClusterCidr, context.ServiceCidr, context.NodePortMin, context.NodePortMax,
            MasqueradeAll = context.MasqueradeAll ? "true" : "false", SyncPeriod = "30s", MinSyncPeriod = "1s",
            PodCidr = plan.Addresses.Node(node).PodSubnet.ToString(),
            LoadBalancerCidr = plan.Addresses.LoadBalancerPool?.ToString(),
            // One writer of status.loadBalancer.ingress: the control plane's proxy, beside the apiserver it writes to.
            LoadBalancerAllocator = plan.Addresses.LoadBalancerPool is not null && node == plan.Lab.ControlPlane.Name,
            // OVS switches same-node pod traffic past netfilter: the policy controller sends it through the node instead
            OvsRunDirectory = plan.Lab.Network.Fabric == FabricKind.OvsVxlan ? OvsPolicyPath.SystemRunDirectory : null,
        });
        var unit = TemplateRenderer.Embedded.Render("proxy/netlab-proxy.service.sbn", new
        {
            Lab = plan.Lab.Name, Hostname = Vm(plan, node), Netlab = NodeFileNames.NodeNetlab, Kubeconfig = KubeconfigPath, Config = ConfigPath,
            Mode = EnumNames.Of(plan.Lab.Network.ServiceRules), Healthz = "0.0.0.0:10256", Metrics = "127.0.0.1:10249",
        });
        return (unit, config);
    }

    /// <summary>One trigger per config line ("proxy.clusterCIDR" = "10.244.0.0/16"): a preview names the setting that changes.</summary>
    private static ImmutableSortedDictionary<string, string> ConfigTriggers(string config) =>
        config.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith('#') && l.Contains(':', StringComparison.Ordinal))
            .ToImmutableSortedDictionary(l => "proxy." + l[..l.IndexOf(':', StringComparison.Ordinal)], l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim(),
                StringComparer.Ordinal);

    private static LocalFile Local(DeploymentPlanner.Inputs inputs, string node, string name, string content) =>
        new($"{inputs.Options.WorkDir}/{node}/{name}", content, Hash.Sha256(content));

    private static string Vm(LabPlan plan, string node) => Rendering.Models.RenderModels.Hostname(plan.Lab, node);
}
