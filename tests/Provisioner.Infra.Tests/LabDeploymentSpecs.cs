using System.Collections.Immutable;
using Pulumi;
using Pulumi.Command.Local;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace Provisioner.Infra.Tests;

public sealed class LabDeploymentSpecs : IDisposable
{
    private const string Prefix = "dev-dev";
    private static readonly string[] Vms = ["dev-cp1", "dev-worker1", "dev-worker2"];
    private readonly MockedLab _stack = new(MockedLab.ExampleConfig());
    private readonly LabMocks _mocks = new(Vms);

    public void Dispose() => _stack.Dispose();

    private static string Text(object? input) => input as string ?? "";

    [Fact]
    public async Task I_can_declare_one_vm_per_node_with_its_launch_arguments()
    {
        await _stack.RunAsync(_mocks);

        var launches = _mocks.Commands.Where(c => Text(c.Inputs["create"]).Contains("multipass launch", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, launches.Count);
        Assert.Contains("multipass launch 24.04 --name dev-worker1 --cpus 2 --memory 2G --disk 20G " +
            "--cloud-init .netlab/dev/worker1/user-data --timeout 900 </dev/null", Text(_mocks.Command($"{Prefix}-machine-worker1").Inputs["create"]),
            StringComparison.Ordinal);
        Assert.Contains("then multipass delete --purge dev-cp1 </dev/null; fi", Text(_mocks.Command($"{Prefix}-machine-cp1").Inputs["delete"]), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_stack.Root, ".netlab/dev/worker1/user-data")), "the user-data is written before launch");
        Assert.True(_stack.CommandDeclared($"{Prefix}-machine-cp1").Options.DeleteBeforeReplace);
    }

    [Fact]
    public async Task I_can_rely_on_the_joins_depending_on_init_and_on_their_vm()
    {
        await _stack.RunAsync(_mocks);

        foreach (var worker in new[] { "worker1", "worker2" })
        {
            var join = await DependsOn($"{Prefix}-join-{worker}");
            Assert.Contains($"{Prefix}-control-plane", join);
            Assert.Contains($"{Prefix}-cni-{worker}", join);
            Assert.Contains($"{Prefix}-machine-{worker}", join); // what its address lookup waits for
        }
        Assert.Contains($"{Prefix}-ready-cp1", await DependsOn($"{Prefix}-control-plane"));
        Assert.DoesNotContain(_mocks.Commands, c => c.Name == $"{Prefix}-join-command"); // no token in the state
    }

    [Fact]
    public async Task No_input_or_output_of_any_step_holds_a_token_and_no_stdout_reaches_another_run_s_environment()
    {
        await _stack.RunAsync(_mocks);

        var token = new System.Text.RegularExpressions.Regex("[a-z0-9]{6}\\.[a-z0-9]{16}");
        foreach (var command in _mocks.Commands)
        {
            Assert.False(command.Inputs.ContainsKey("stdin"), $"{command.Name} has a stdin input");
            Assert.Equal(false, command.Inputs["addPreviousOutputInEnv"]);
            foreach (var (key, value) in command.Inputs)
                Assert.DoesNotMatch(token, System.Text.Json.JsonSerializer.Serialize(value));
        }
        var join = Text(_mocks.Command($"{Prefix}-join-worker1").Inputs["create"]);
        Assert.EndsWith("multipass exec dev-cp1 -- sudo /opt/netlab/bin/print-join-command.sh </dev/null | " +
            "multipass exec dev-worker1 -- sudo /opt/netlab/bin/kubeadm-join.sh \"${NETLAB_ADDRESS_WORKER1}\"", join, StringComparison.Ordinal);
        Assert.Equal("stderr", _mocks.Command($"{Prefix}-join-worker1").Inputs["logging"]);
        Assert.Equal(["stdout"], _stack.CommandDeclared($"{Prefix}-kubeconfig").Options.AdditionalSecretOutputs);
    }

    [Fact]
    public async Task Replacing_a_worker_replaces_its_join_which_mints_a_fresh_token_on_the_control_plane()
    {
        await _stack.RunAsync(_mocks);
        var before = Triggers(_mocks, $"{Prefix}-join-worker1");
        using var bigger = new MockedLab(MockedLab.ExampleConfig(c => ((YamlMappingNode)((YamlSequenceNode)c["nodes"]).Children[1])
            .Children[new YamlScalarNode("memory")] = new YamlScalarNode("4G")));
        var mocks = new LabMocks(Vms);
        await bigger.RunAsync(mocks);

        var join = mocks.Command($"{Prefix}-join-worker1");
        Assert.NotEqual(before, Triggers(mocks, $"{Prefix}-join-worker1")); // replaced with its VM: its create runs again
        Assert.Contains("print-join-command.sh </dev/null | multipass exec dev-worker1", Text(join.Inputs["create"]), StringComparison.Ordinal);
        Assert.True(bigger.CommandDeclared($"{Prefix}-join-worker1").Options.DeleteBeforeReplace); // drained and reset first
        Assert.Equal(Triggers(_mocks, $"{Prefix}-join-worker2"), Triggers(mocks, $"{Prefix}-join-worker2")); // the other worker stays
    }

    [Fact]
    public async Task I_can_see_a_changed_vm_address_in_a_preview_because_addresses_are_read_on_every_run()
    {
        _mocks.Addresses["dev-worker2"] = "192.168.64.99"; // e.g. after a host reboot, DHCP gave worker2 another address
        await _stack.RunAsync(_mocks, preview: true);

        var lookups = _mocks.Calls.Where(c => c.Token == LabMocks.RunToken).Select(c => Text(c.Args["command"])).ToList();
        Assert.Equal(3, lookups.Count);
        Assert.Contains(lookups, l => l.EndsWith("multipass info dev-worker2 --format json </dev/null", StringComparison.Ordinal));
        Assert.DoesNotContain(_mocks.Commands, c => c.Name!.Contains("-address-", StringComparison.Ordinal)); // lookups, not resources
        var environment = (ImmutableDictionary<string, object>)_mocks.Command($"{Prefix}-fabric-worker1").Inputs["environment"];
        Assert.Equal("192.168.64.99", environment["NETLAB_ADDRESS_WORKER2"]); // the fabric step shows the new address as a change
    }

    [Fact]
    public async Task Removing_a_node_changes_no_other_node_s_subnet_or_fabric_lines_but_those_of_the_removed_peer()
    {
        static void Unpinned(Dictionary<string, YamlNode> c, bool withWorker1)
        {
            var nodes = (YamlSequenceNode)c["nodes"];
            foreach (var node in nodes.Children.Cast<YamlMappingNode>())
                node.Children.Remove(new YamlScalarNode("podCidr")); // the hashed default, not the example's pins
            var worker3 = new YamlMappingNode { { "name", "worker3" }, { "role", "worker" }, { "memory", "2G" } };
            c["nodes"] = new YamlSequenceNode([.. nodes.Children.Where(n => withWorker1 || ((YamlMappingNode)n)["name"].ToString() != "worker1"), worker3]);
            c["pods"] = new YamlSequenceNode(((YamlSequenceNode)c["pods"]).Children.Where(p => ((YamlMappingNode)p)["node"].ToString() != "worker1"));
        }
        using var before = new MockedLab(MockedLab.ExampleConfig(c => Unpinned(c, withWorker1: true)));
        var beforeMocks = new LabMocks("dev-cp1", "dev-worker1", "dev-worker2", "dev-worker3");
        await before.RunAsync(beforeMocks);
        using var after = new MockedLab(MockedLab.ExampleConfig(c => Unpinned(c, withWorker1: false)));
        var afterMocks = new LabMocks("dev-cp1", "dev-worker2", "dev-worker3");
        afterMocks.Addresses["dev-worker2"] = "192.168.64.13"; // the VMs keep their addresses
        afterMocks.Addresses["dev-worker3"] = "192.168.64.14";
        await after.RunAsync(afterMocks);

        foreach (var node in new[] { "cp1", "worker2", "worker3" })
        {
            Assert.Equal(Triggers(beforeMocks, $"{Prefix}-cni-{node}"), Triggers(afterMocks, $"{Prefix}-cni-{node}")); // same podSubnet
            var was = FabricLines(beforeMocks, node);
            var now = FabricLines(afterMocks, node);
            Assert.All(now, l => Assert.Contains(l, was)); // nothing new, nothing changed
            var gone = was.Except(now).ToList();
            Assert.NotEmpty(gone);
            Assert.All(gone, l => Assert.True(l.Contains("worker1", StringComparison.Ordinal) || l.Contains("10.244.40.0/24", StringComparison.Ordinal), l));
        }
        Assert.DoesNotContain(afterMocks.Commands, c => c.Name!.EndsWith("-worker1", StringComparison.Ordinal));
    }

    private static List<string> FabricLines(LabMocks mocks, string node) =>
        [.. ((ImmutableDictionary<string, object>)mocks.Command($"{Prefix}-fabric-{node}").Inputs["environment"])
            .Where(e => e.Key.StartsWith("NETLAB_TRIGGER_FABRIC_", StringComparison.Ordinal) && e.Key != "NETLAB_TRIGGER_FABRIC").Select(e => (string)e.Value)];

    [Fact]
    public async Task A_stopped_vm_stops_the_run_with_the_command_that_starts_it()
    {
        _mocks.Stopped["dev-worker2"] = true;

        var error = await Assert.ThrowsAnyAsync<Exception>(() => _stack.RunAsync(_mocks, preview: true));

        Assert.Contains("VM 'dev-worker2' is stopped, so it has no address", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("multipass start dev-worker2", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_step_stores_the_checkout_s_place_so_destroy_works_after_it_moved()
    {
        await _stack.RunAsync(_mocks);

        foreach (var command in _mocks.Commands)
        {
            Assert.False(command.Inputs.ContainsKey("dir"), $"{command.Name} pins a dir");
            foreach (var (key, value) in command.Inputs)
                Assert.DoesNotContain(_stack.Root, System.Text.Json.JsonSerializer.Serialize(value), StringComparison.Ordinal);
            Assert.StartsWith(Provisioner.Deploy.Shell.EnterProjectRoot, Text(command.Inputs["create"]), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task I_can_see_unique_names_prefixed_with_the_lab_and_stack_under_typed_components()
    {
        var resources = await _stack.RunAsync(_mocks);

        var names = _mocks.Resources.Select(r => r.Name!).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(names, n => Assert.StartsWith(Prefix, n, StringComparison.Ordinal));
        Assert.Single(_mocks.Resources, r => r.Type == LabCluster.TypeToken && r.Name == Prefix);
        Assert.Equal([$"{Prefix}-cp1", $"{Prefix}-worker1", $"{Prefix}-worker2"],
            _mocks.Resources.Where(r => r.Type == LabNode.TypeToken).Select(r => r.Name).Order());

        var cluster = resources.OfType<LabCluster>().Single();
        Assert.IsType<LabNode>(_stack.CommandDeclared($"{Prefix}-machine-cp1").Options.Parent);
        Assert.Same(cluster, _stack.CommandDeclared($"{Prefix}-binaries").Options.Parent);
        Assert.Same(cluster, _stack.CommandDeclared($"{Prefix}-kubeconfig").Options.Parent);
    }

    [Fact]
    public async Task It_never_deletes_all_vms()
    {
        await _stack.RunAsync(_mocks);

        var deletes = _mocks.Commands.Where(c => c.Inputs.ContainsKey("delete")).Select(c => Text(c.Inputs["delete"])).ToList();
        Assert.NotEmpty(deletes);
        Assert.All(deletes, d => Assert.DoesNotContain("--all", d.Split(' ')));
    }

    [Fact]
    public async Task I_can_update_the_fabric_in_place_and_replace_the_vm_on_a_trigger_change()
    {
        await _stack.RunAsync(_mocks);

        var fabric = _mocks.Command($"{Prefix}-fabric-worker1").Inputs;
        Assert.Equal(fabric["create"], fabric["update"]);
        Assert.False(fabric.ContainsKey("triggers") && ((ImmutableArray<object>)fabric["triggers"]).Length > 0);
        var environment = (ImmutableDictionary<string, object>)fabric["environment"];
        Assert.Equal("192.168.64.13", environment["NETLAB_ADDRESS_WORKER2"]);
        Assert.Equal("ovs-vxlan", environment["NETLAB_TRIGGER_FABRIC"]);

        var machine = (ImmutableArray<object>)_mocks.Command($"{Prefix}-machine-worker1").Inputs["triggers"];
        Assert.Contains("memory=2G", machine);
        Assert.Contains(machine, t => ((string)t).StartsWith("file.user-data=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task I_can_read_node_addresses_endpoint_and_kubeconfig_path_as_stack_outputs()
    {
        var resources = await _stack.RunAsync(_mocks);

        var stack = resources.OfType<LabDeployment>().Single();
        Assert.Equal(["cp1", "worker1", "worker2"], (await MockedLab.ValueOf(stack.Nodes)).ToArray());
        var addresses = await MockedLab.ValueOf(stack.NodeAddresses);
        Assert.Equal("192.168.64.11", addresses["cp1"]); // the Multipass network's address, not the NAT one
        Assert.Equal("192.168.64.13", addresses["worker2"]);
        Assert.Equal("https://192.168.64.11:6443", await MockedLab.ValueOf(stack.ControlPlaneEndpoint));
        Assert.Equal(Path.Combine(_stack.Root, ".netlab/dev/kubeconfig"), await MockedLab.ValueOf(stack.KubeconfigPath));
        Assert.Equal("192.168.64.12", await MockedLab.ValueOf(resources.OfType<LabNode>().Single(n => n.GetResourceName() == $"{Prefix}-worker1").Address));
    }

    [Fact]
    public async Task I_can_preview_without_writing_any_file()
    {
        await _stack.RunAsync(_mocks, preview: true);

        Assert.Equal(3, _mocks.Commands.Count(c => Text(c.Inputs["create"]).Contains("multipass launch", StringComparison.Ordinal)));
        Assert.False(Directory.Exists(Path.Combine(_stack.Root, ".netlab")));
    }

    private static List<string> Triggers(LabMocks mocks, string name) =>
        [.. ((ImmutableArray<object>)mocks.Command(name).Inputs["triggers"]).Select(t => (string)t)];

    private async Task<List<string>> DependsOn(string name)
    {
        var resources = await MockedLab.ValueOf(_stack.CommandDeclared(name).Options.DependsOn.ToOutput());
        return [.. resources.Select(r => r.GetResourceName())];
    }
}

public sealed class NetnsAndBadConfigSpecs
{
    [Fact]
    public async Task I_can_declare_a_netns_lab_as_netlab_step_commands()
    {
        using var stack = new MockedLab(MockedLab.ExampleConfig(c => c["backend"] = new YamlScalarNode("netns")));
        var mocks = new LabMocks();
        await stack.RunAsync(mocks);

        Assert.EndsWith("; out/bin/netlab step apply underlay --stack Pulumi.dev.yaml", (string)mocks.Command("dev-dev-underlay").Inputs["create"], StringComparison.Ordinal);
        Assert.EndsWith("; out/bin/netlab step remove pod-web-1 --lab dev", (string)mocks.Command("dev-dev-pod-web-1").Inputs["delete"], StringComparison.Ordinal);
        Assert.DoesNotContain(mocks.Commands, c => ((string)c.Inputs["create"]).Contains("multipass", StringComparison.Ordinal));
        Assert.All(mocks.Commands.Where(c => c.Name != "dev-dev-binaries"),
            c => Assert.Contains("; out/bin/netlab step apply ", (string)c.Inputs["create"], StringComparison.Ordinal));
    }

    [Fact]
    public async Task Netns_deletes_carry_what_they_undo_so_they_work_after_the_stack_file_changed()
    {
        using var stack = new MockedLab(MockedLab.ExampleConfig(c => c["backend"] = new YamlScalarNode("netns")));
        var mocks = new LabMocks();
        await stack.RunAsync(mocks);
        using var moved = new MockedLab(MockedLab.ExampleConfig(c =>
        {
            c["backend"] = new YamlScalarNode("netns");
            ((YamlMappingNode)((YamlSequenceNode)c["pods"]).Children[0]).Children[new YamlScalarNode("node")] = new YamlScalarNode("cp1"); // web-1 moves
        }));
        var movedMocks = new LabMocks();
        await moved.RunAsync(movedMocks);

        // no delete reads the stack file: a pod since removed from it, or moved, is removed as its apply recorded it
        Assert.All(mocks.Commands.Where(c => c.Inputs.ContainsKey("delete")),
            c => Assert.DoesNotContain("--stack", (string)c.Inputs["delete"], StringComparison.Ordinal));
        var web1 = movedMocks.Command("dev-dev-pod-web-1");
        Assert.Equal(mocks.Command("dev-dev-pod-web-1").Inputs["delete"], web1.Inputs["delete"]);
        Assert.NotEqual((ImmutableArray<object>)mocks.Command("dev-dev-pod-web-1").Inputs["triggers"], (ImmutableArray<object>)web1.Inputs["triggers"]);
        Assert.True(moved.CommandDeclared("dev-dev-pod-web-1").Options.DeleteBeforeReplace); // the old attachment goes first
    }

    [Fact]
    public async Task A_misspelled_netlab_key_is_reported_and_nothing_is_created()
    {
        using var stack = new MockedLab(MockedLab.ExampleConfig(c => c["nodez"] = new YamlSequenceNode()));
        var mocks = new LabMocks();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => stack.RunAsync(mocks));

        Assert.Contains("netlab:nodez: is not a known key", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("pulumi config rm netlab:nodez", error.ToString(), StringComparison.Ordinal);
        Assert.Empty(mocks.Resources);
    }

    [Fact]
    public async Task It_creates_nothing_from_a_bad_config_and_names_the_fix()
    {
        using var stack = new MockedLab(MockedLab.ExampleConfig(c =>
        {
            c["network"] = new YamlMappingNode { { "fabric", "token-ring" }, { "podCidr", "10.244.0.0/33" } };
            c["name"] = new YamlScalarNode("Not_A_Name");
        }));
        var mocks = new LabMocks();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => stack.RunAsync(mocks));

        var message = error.ToString();
        Assert.Contains("pulumi config set --path 'network.fabric'", message, StringComparison.Ordinal);
        Assert.Contains("pulumi config set name", message, StringComparison.Ordinal);
        Assert.Contains("network.podCidr", message, StringComparison.Ordinal);
        Assert.Empty(mocks.Resources);
    }
}
