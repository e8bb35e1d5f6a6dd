using System.Collections.Immutable;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Multipass;
using Provisioner.Rendering.Models;

namespace Provisioner.Deploy.Multipass;

/// <summary>
/// Maps a lab's plan onto Multipass VMs. Per node: launch the VM with its cloud-init (or keep this stack's VM of
/// that name), read its address on every run, wait for cloud-init, install netlab-cni, apply the fabric; then
/// kubeadm init, the joins (each minting its own token on the control plane, piped straight into the worker), the
/// service rules and the kubeconfig. Everything runs on this machine through the <c>multipass</c> CLI.
/// Steps other features add live in their own files in this folder, each hooked into <see cref="Map()"/> by one line.
/// </summary>
public sealed class MultipassStepMapper(DeploymentPlanner.Inputs inputs)
{
    private readonly LabPlan _plan = inputs.Plan;
    private readonly DeployOptions _options = inputs.Options;
    private readonly Dictionary<string, CommandStep> _machines = new(StringComparer.Ordinal);

    public const string AddressPrefix = "address-";
    public const string ReadyPrefix = "ready-";

    public static string AddressId(string node) => AddressPrefix + node;
    public static string ReadyId(string node) => ReadyPrefix + node;

    public IEnumerable<CommandStep> Map()
    {
        var lab = _plan.Lab;
        yield return BuildSteps.Binaries(_options);
        foreach (var node in lab.Nodes)
        {
            yield return MachineOf(node.Name);
            yield return Address(node);
            yield return Ready(node);
        }
        foreach (var step in _plan.Steps)
        {
            switch (step.Kind)
            {
                case StepKind.Cni: yield return Cni(step); break;
                case StepKind.Fabric: yield return Fabric(step); break;
                case StepKind.ServiceRules: yield return ProxySteps.ForNode(inputs, step, MachineTrigger(step.Node!)); break; // netlab-proxy, the rules' only writer
            }
        }
        var controlPlane = ControlPlane(_plan.Step(LabPlan.ControlPlaneId));
        var clusterDigest = StepDigest.Of(controlPlane);
        yield return controlPlane;
        foreach (var join in _plan.OfKind(StepKind.Join))
            yield return Join(join, clusterDigest);
        if (_plan.Lab.Network.ServiceProxy == ServiceProxy.Netlab) yield return ProxySteps.Access(inputs);
        foreach (var node in lab.Nodes) yield return ExporterSteps.ForNode(inputs, node.Name, MachineTrigger(node.Name)); // netlab-metrics
        yield return Kubeconfig(_plan.Step(LabPlan.KubeconfigId), clusterDigest);
        yield return new WorkloadSteps(inputs).Apply(Deployed(lab.ControlPlane).Machine, clusterDigest);
    }

    public DeployedNode Deployed(NodeSpec node) => new(node.Name, Vm(node.Name), node.Role, AddressId(node.Name), null);

    /// <summary>The node IP from <c>multipass info</c>: the VM's address in <c>network.nodeCidr</c>, else its first (with a warning).</summary>
    public static AddressChoice ChooseAddress(DeployedNode node, string infoJson, string nodeCidr)
    {
        var instance = MultipassInstance.ParseInfo(infoJson).FirstOrDefault(i => i.Name == node.Machine)
            ?? throw new MultipassException($"multipass info has no VM '{node.Machine}'", "check 'multipass list'");
        var choice = NodeAddress.Choose(instance, nodeCidr);
        return new AddressChoice(choice.Address.ToString(), choice.InNodeCidr ? null : choice.Reason);
    }

    public string KubeconfigPath => $"{_options.WorkDir}/kubeconfig";

    private string Vm(string node) => $"{_plan.Lab.Name}-{node}";

    private string LocalPath(string node, string name) => $"{_options.WorkDir}/{node}/{name}";

    private CommandStep Machine(NodeSpec node)
    {
        var planStep = _plan.Step(LabPlan.MachineId(node.Name));
        var userData = inputs.File(node.Name, NodeFileNames.UserData);
        var local = new LocalFile(LocalPath(node.Name, userData.Name), userData.Content, userData.Sha256);
        var vm = Vm(node.Name);
        var ensure = MultipassCommands.EnsureVm(new LaunchSpec(vm, _plan.Lab.Image, node.Cpus, node.Memory.ToString(), node.Disk.ToString(),
            local.Path, _options.LaunchTimeout), Owner, $"{_options.WorkDir}/launching/{vm}");
        return From(planStep) with
        {
            Create = ensure,
            // Nothing about a VM changes in place (its size and image are triggers, which replace it); an update
            // caused by anything else (a new netlab's command text) makes sure it is there, started and this stack's.
            Update = ensure,
            Delete = MultipassCommands.Delete(vm),
            LocalFiles = [local],
            Triggers = planStep.Triggers.SetItem("file." + userData.Name, Hash.Short(userData.Sha256)),
        };
    }

    /// <summary>What the VMs' owner file says for this stack.</summary>
    private string Owner => $"stack={_options.StackName}";

    private CommandStep Address(NodeSpec node) => new()
    {
        Id = AddressId(node.Name), PlanStepId = LabPlan.MachineId(node.Name), Kind = StepKind.Machine, Node = node.Name,
        Summary = $"read the address of VM {Vm(node.Name)} (multipass info, on every preview and up)",
        Create = MultipassCommands.Info(Vm(node.Name)),
        DependsOn = [LabPlan.MachineId(node.Name)],
        ReadOnEveryRun = true,
    };

    private CommandStep Ready(NodeSpec node)
    {
        var (transfers, locals, triggers) = Files(node.Name, [NodeFileNames.WaitForCloudInit]);
        return new CommandStep
        {
            Id = ReadyId(node.Name), PlanStepId = LabPlan.MachineId(node.Name), Kind = StepKind.Machine, Node = node.Name,
            Summary = $"wait for cloud-init to prepare {Vm(node.Name)}",
            Create = Shell.AllOf(MultipassCommands.Install(Vm(node.Name), transfers),
                MultipassCommands.Exec(Vm(node.Name), "sudo", ScriptPath(node.Name, NodeFileNames.WaitForCloudInit))),
            DependsOn = [LabPlan.MachineId(node.Name)],
            LocalFiles = locals,
            Triggers = MachineTrigger(node.Name).AddRange(triggers),
        };
    }

    private CommandStep Cni(PlanStep step)
    {
        var node = step.Node!;
        var (transfers, locals, triggers) = Files(node,
            [NodeFileNames.Conflist, NodeFileNames.InstallCni]);
        transfers = transfers.Add(new NodeTransfer($"{_options.VmBinDir}/netlab-cni", NodeFileNames.NodeStagedCni, "0755"));
        var create = Shell.AllOf(MultipassCommands.Install(Vm(node), transfers),
            MultipassCommands.Exec(Vm(node), "sudo", ScriptPath(node, NodeFileNames.InstallCni)));
        return InPlace(From(step) with
        {
            Create = create,
            DependsOn = [ReadyId(node), BuildSteps.BinariesId],
            LocalFiles = locals,
            Triggers = step.Triggers.AddRange(triggers).AddRange(MachineTrigger(node)).SetItem("binaries", _options.SourceVersion),
        });
    }

    private CommandStep Fabric(PlanStep step)
    {
        var node = step.Node!;
        var document = inputs.Components.Fabric(_plan, node);
        var local = new LocalFile(LocalPath(node, NodeFileNames.FabricDocument), document.Content, Hash.Sha256(document.Content));
        ImmutableArray<NodeTransfer> transfers =
        [
            new($"{_options.VmBinDir}/netlab", NodeFileNames.NodeNetlab, "0755"),
            new(local.Path, NodeFileNames.NodeFabricDocument, "0644"),
        ];
        // The tunnels and routes name the other nodes' addresses, known once their VMs run: passed as arguments.
        var peers = _plan.Lab.Nodes.Select(n => Arg.LiteralThenVariable($"{n.Name}=", EnvironmentName.ForAddress(n.Name)));
        Arg[] apply = ["sudo", NodeFileNames.NodeNetlab, "node", "fabric", "apply", NodeFileNames.NodeFabricDocument,
            .. peers.SelectMany(p => new[] { (Arg)"--node-address", p })];
        return InPlace(From(step) with
        {
            Create = Shell.AllOf(MultipassCommands.Install(Vm(node), transfers), MultipassCommands.Exec(Vm(node), apply)),
            DependsOn = [ReadyId(node), BuildSteps.BinariesId, .. _plan.Lab.Nodes.Select(n => AddressId(n.Name))],
            AddressVariables = _plan.Lab.Nodes.ToImmutableSortedDictionary(n => EnvironmentName.ForAddress(n.Name), n => n.Name, StringComparer.Ordinal),
            LocalFiles = [local],
            Triggers = step.Triggers.AddRange(document.Triggers("fabric")).AddRange(MachineTrigger(node))
                .SetItem("file." + NodeFileNames.FabricDocument, Hash.Short(local.Sha256)).SetItem("binaries", _options.SourceVersion),
        });
    }

    private CommandStep ServiceRules(PlanStep step)
    {
        var node = step.Node!;
        var document = inputs.Components.ServiceRules(_plan, node);
        var local = new LocalFile(LocalPath(node, NodeFileNames.ServicesDocument), document.Content, Hash.Sha256(document.Content));
        // The node's own address (NodePorts answer on it) is known once its VM runs: passed as an argument.
        var address = EnvironmentName.ForAddress(node);
        var create = Shell.AllOf(
            MultipassCommands.Install(Vm(node), [new NodeTransfer(local.Path, NodeFileNames.NodeServicesDocument, "0644")]),
            MultipassCommands.Exec(Vm(node), "sudo", NodeFileNames.NodeNetlab, "node", "services", "apply", NodeFileNames.NodeServicesDocument,
                "--node-address", Arg.LiteralThenVariable($"{node}=", address)));
        return InPlace(From(step) with
        {
            Create = create,
            DependsOn = [.. step.DependsOn.Append(AddressId(node)).Distinct(), BuildSteps.BinariesId],
            AddressVariables = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal).Add(address, node),
            LocalFiles = [local],
            Triggers = step.Triggers.AddRange(document.Triggers("rules")).AddRange(MachineTrigger(node))
                .SetItem("file." + NodeFileNames.ServicesDocument, Hash.Short(local.Sha256)).SetItem("binaries", _options.SourceVersion),
        });
    }

    private CommandStep ControlPlane(PlanStep step)
    {
        var node = step.Node!;
        var (transfers, locals, triggers) = Files(node,
            [NodeFileNames.NodeIp, NodeFileNames.KubeadmInit, NodeFileNames.KubeadmInitScript, NodeFileNames.PrintJoinCommand]);
        var address = EnvironmentName.ForAddress(node);
        return From(step) with
        {
            Create = Shell.AllOf(MultipassCommands.Install(Vm(node), transfers),
                MultipassCommands.Exec(Vm(node), "sudo", ScriptPath(node, NodeFileNames.KubeadmInitScript), Arg.Variable(address))),
            Delete = MultipassCommands.ExecIfPresent(Vm(node), "sudo", "kubeadm", "reset", "--force"),
            DependsOn = [ReadyId(node), LabPlan.CniId(node), AddressId(node)],
            AddressVariables = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal).Add(address, node),
            LocalFiles = locals,
            Triggers = step.Triggers.AddRange(triggers).AddRange(MachineTrigger(node)),
        };
    }

    /// <summary>
    /// Joins a worker with a token minted for this join: the control plane's print-join-command piped into the
    /// worker's kubeadm-join.sh, so the token is never a word of a command line, an input or an output in the state.
    /// Its delete drains the node and deletes its Node object (when the cluster is there), then resets kubeadm.
    /// </summary>
    private CommandStep Join(PlanStep step, string clusterDigest)
    {
        var node = step.Node!;
        var cp = _plan.Lab.ControlPlane.Name;
        var (transfers, locals, triggers) = Files(node, [NodeFileNames.NodeIp, NodeFileNames.KubeadmJoin, NodeFileNames.KubeadmJoinScript]);
        var address = EnvironmentName.ForAddress(node);
        var mint = MultipassCommands.Exec(Vm(cp), "sudo", ScriptPath(cp, NodeFileNames.PrintJoinCommand));
        var join = MultipassCommands.ExecReadingStdin(Vm(node), "sudo", ScriptPath(node, NodeFileNames.KubeadmJoinScript), Arg.Variable(address));
        return From(step) with
        {
            Create = Shell.AllOf(MultipassCommands.Install(Vm(node), transfers), Shell.Pipe(mint, join)),
            Delete = Shell.Sequence(RemoveNode(cp, node), MultipassCommands.ExecIfPresent(Vm(node), "sudo", "kubeadm", "reset", "--force")),
            Logging = StepLogging.Stderr,
            DependsOn = [LabPlan.ControlPlaneId, ReadyId(node), LabPlan.CniId(node), AddressId(node)],
            AddressVariables = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal).Add(address, node),
            LocalFiles = locals,
            Triggers = step.Triggers.AddRange(triggers).AddRange(MachineTrigger(node)).SetItem("cluster", clusterDigest),
        };
    }

    /// <summary>
    /// <c>kubectl drain</c> and <c>kubectl delete node</c> on the control plane; a missing control-plane VM or cluster
    /// only warns (the node is going away either way).
    /// </summary>
    private string RemoveNode(string cp, string node)
    {
        var hostname = RenderModels.Hostname(_plan.Lab, node);
        Arg[] kubectl = ["sudo", "kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf"];
        var drain = MultipassCommands.Exec(Vm(cp), [.. kubectl, "drain", hostname, "--ignore-daemonsets", "--delete-emptydir-data", "--force", "--timeout=120s"]);
        var delete = MultipassCommands.Exec(Vm(cp), [.. kubectl, "delete", "node", hostname, "--ignore-not-found"]);
        return Shell.IfSucceeds(MultipassCommands.Info(Vm(cp)), Shell.Sequence(
            Shell.OrWarn(drain, $"netlab: could not drain {hostname} (no cluster?); deleting it anyway"),
            Shell.OrWarn(delete, $"netlab: could not delete the Node {hostname} (no cluster?)")));
    }

    private CommandStep Kubeconfig(PlanStep step, string clusterDigest) => From(step) with
    {
        Node = null,
        Create = MultipassCommands.CopyOutPrivate(Vm(step.Node!), "/etc/kubernetes/admin.conf", KubeconfigPath),
        Delete = Shell.Command("rm", "-f", KubeconfigPath),
        SecretStdout = true,
        Logging = StepLogging.Stderr,
        Triggers = step.Triggers.SetItem("cluster", clusterDigest),
    };

    private static CommandStep From(PlanStep step) => new()
    {
        Id = step.Id, PlanStepId = step.Id, Kind = step.Kind, Node = step.Node, Summary = step.Summary,
        Create = "", DependsOn = step.DependsOn, Triggers = step.Triggers,
    };

    private static CommandStep InPlace(CommandStep step) => step with { Update = step.Create, OnChange = ChangeMode.UpdateInPlace };

    /// <summary>A node's machine step, made once whichever asks first (its digest triggers the node's later steps).</summary>
    private CommandStep MachineOf(string node) =>
        _machines.TryGetValue(node, out var machine) ? machine : _machines[node] = Machine(_plan.Lab.Nodes.Single(n => n.Name == node));

    private ImmutableSortedDictionary<string, string> MachineTrigger(string node) =>
        ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal).Add("machine", StepDigest.Of(MachineOf(node)));


    private string ScriptPath(string node, string script) =>
        inputs.File(node, script).NodePath ?? throw new InvalidOperationException($"rendered file {script} of {node} has no place on the node");

    /// <summary>The named rendered files of a node: how to transfer them, their local copies and their hashes.</summary>
    private (ImmutableArray<NodeTransfer>, ImmutableArray<LocalFile>, IEnumerable<KeyValuePair<string, string>>) Files(string node, string[] names)
    {
        var files = names.Select(n => inputs.File(node, n)).ToList();
        var locals = files.Select(f => new LocalFile(LocalPath(node, f.Name), f.Content, f.Sha256)).ToImmutableArray();
        var transfers = files.Zip(locals, (f, l) => new NodeTransfer(l.Path,
            f.NodePath ?? throw new InvalidOperationException($"rendered file {f.Name} of {node} has no place on the node"), f.Mode)).ToImmutableArray();
        return (transfers, locals, files.Select(f => KeyValuePair.Create("file." + f.Name, Hash.Short(f.Sha256))));
    }
}
