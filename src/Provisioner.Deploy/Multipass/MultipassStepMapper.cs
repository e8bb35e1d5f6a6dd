using System.Collections.Immutable;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Multipass;

namespace Provisioner.Deploy.Multipass;

/// <summary>
/// Maps a lab's plan onto Multipass VMs. Per node: launch the VM with its cloud-init, read its address, wait for
/// cloud-init, install netlab-cni, apply the fabric; then kubeadm init, a (secret) join command, the joins, the
/// service rules and the kubeconfig. Everything runs on this machine through the <c>multipass</c> CLI.
/// </summary>
public sealed class MultipassStepMapper(DeploymentPlanner.Inputs inputs)
{
    private readonly LabPlan _plan = inputs.Plan;
    private readonly DeployOptions _options = inputs.Options;
    private readonly Dictionary<string, string> _machineDigests = new(StringComparer.Ordinal);

    public const string AddressPrefix = "address-";
    public const string ReadyPrefix = "ready-";
    public const string JoinCommandId = "join-command";

    public static string AddressId(string node) => AddressPrefix + node;
    public static string ReadyId(string node) => ReadyPrefix + node;

    public IEnumerable<CommandStep> Map()
    {
        var lab = _plan.Lab;
        yield return BuildSteps.Binaries(_options);
        foreach (var node in lab.Nodes)
        {
            var machine = Machine(node);
            _machineDigests[node.Name] = StepDigest.Of(machine);
            yield return machine;
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
        yield return JoinCommand(clusterDigest);
        foreach (var join in _plan.OfKind(StepKind.Join))
            yield return Join(join, clusterDigest);
        if (_plan.Lab.Network.ServiceProxy == ServiceProxy.Netlab) yield return ProxySteps.Access(inputs);
        yield return Kubeconfig(_plan.Step(LabPlan.KubeconfigId), clusterDigest);
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
        return From(planStep) with
        {
            Create = MultipassCommands.Launch(new LaunchSpec(Vm(node.Name), _plan.Lab.Image, node.Cpus, node.Memory.ToString(),
                node.Disk.ToString(), local.Path, _options.LaunchTimeout)),
            // Nothing about a VM changes in place (its size and image are triggers, which replace it); an update
            // caused by anything else (a new netlab's command text, another project directory) only checks it is there.
            Update = MultipassCommands.Info(Vm(node.Name)),
            Delete = MultipassCommands.Delete(Vm(node.Name)),
            LocalFiles = [local],
            Triggers = planStep.Triggers.SetItem("file." + userData.Name, Hash.Short(userData.Sha256)),
        };
    }

    private CommandStep Address(NodeSpec node) => new()
    {
        Id = AddressId(node.Name), PlanStepId = LabPlan.MachineId(node.Name), Kind = StepKind.Machine, Node = node.Name,
        Summary = $"read the address of VM {Vm(node.Name)} (multipass info)",
        Create = MultipassCommands.Info(Vm(node.Name)),
        DependsOn = [LabPlan.MachineId(node.Name)],
        Triggers = MachineTrigger(node.Name),
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
            inputs.TryFile(node, NodeFileNames.Conflist) is null ? [NodeFileNames.InstallCni] : [NodeFileNames.Conflist, NodeFileNames.InstallCni]);
        transfers = transfers.Add(new NodeTransfer($"{_options.BinDir}/netlab-cni", NodeFileNames.NodeStagedCni, "0755"));
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
            new($"{_options.BinDir}/netlab", NodeFileNames.NodeNetlab, "0755"),
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

    /// <summary>A fresh join command whenever the cluster or its set of workers changes (tokens expire).</summary>
    private CommandStep JoinCommand(string clusterDigest)
    {
        var cp = _plan.Lab.ControlPlane.Name;
        return new CommandStep
        {
            Id = JoinCommandId, PlanStepId = LabPlan.ControlPlaneId, Kind = StepKind.ControlPlane, Node = cp,
            Summary = $"print a join command on {Vm(cp)} (secret)",
            Create = MultipassCommands.Exec(Vm(cp), "sudo", ScriptPath(cp, NodeFileNames.PrintJoinCommand)),
            DependsOn = [LabPlan.ControlPlaneId],
            SecretStdout = true,
            Logging = StepLogging.Stderr,
            Triggers = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal)
                .Add("cluster", clusterDigest).Add("workers", string.Join(",", _plan.Lab.Workers.Select(w => w.Name))),
        };
    }

    private CommandStep Join(PlanStep step, string clusterDigest)
    {
        var node = step.Node!;
        var (transfers, locals, triggers) = Files(node, [NodeFileNames.NodeIp, NodeFileNames.KubeadmJoin, NodeFileNames.KubeadmJoinScript]);
        var address = EnvironmentName.ForAddress(node);
        return From(step) with
        {
            Create = Shell.AllOf(MultipassCommands.Install(Vm(node), transfers),
                MultipassCommands.ExecReadingStdin(Vm(node), "sudo", ScriptPath(node, NodeFileNames.KubeadmJoinScript), Arg.Variable(address))),
            Delete = MultipassCommands.ExecIfPresent(Vm(node), "sudo", "kubeadm", "reset", "--force"),
            StdinFromStep = JoinCommandId,
            Logging = StepLogging.Stderr,
            DependsOn = [JoinCommandId, ReadyId(node), LabPlan.CniId(node), AddressId(node)],
            AddressVariables = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal).Add(address, node),
            LocalFiles = locals,
            Triggers = step.Triggers.AddRange(triggers).AddRange(MachineTrigger(node)).SetItem("cluster", clusterDigest),
        };
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

    private ImmutableSortedDictionary<string, string> MachineTrigger(string node) =>
        ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal).Add("machine", _machineDigests[node]);


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
