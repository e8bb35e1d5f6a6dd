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

        var launches = _mocks.Commands.Where(c => Text(c.Inputs["create"]).StartsWith("multipass launch", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, launches.Count);
        Assert.Equal("multipass launch 24.04 --name dev-worker1 --cpus 2 --memory 2G --disk 20G " +
            "--cloud-init .netlab/dev/worker1/user-data --timeout 900 </dev/null", _mocks.Command($"{Prefix}-machine-worker1").Inputs["create"]);
        Assert.Equal("multipass delete --purge dev-cp1", Text(_mocks.Command($"{Prefix}-machine-cp1").Inputs["delete"]).Split(" then ")[1].Split(" </dev/null")[0]);
        Assert.True(File.Exists(Path.Combine(_stack.Root, ".netlab/dev/worker1/user-data")), "the user-data is written before launch");
        Assert.True(_stack.CommandDeclared($"{Prefix}-machine-cp1").Options.DeleteBeforeReplace);
    }

    [Fact]
    public async Task I_can_rely_on_the_joins_depending_on_init()
    {
        await _stack.RunAsync(_mocks);

        var joinCommand = await DependsOn($"{Prefix}-join-command");
        Assert.Contains($"{Prefix}-control-plane", joinCommand);
        foreach (var worker in new[] { "worker1", "worker2" })
        {
            var join = await DependsOn($"{Prefix}-join-{worker}");
            Assert.Contains($"{Prefix}-join-command", join);
            Assert.Contains($"{Prefix}-cni-{worker}", join);
        }
        Assert.Contains($"{Prefix}-ready-cp1", await DependsOn($"{Prefix}-control-plane"));
    }

    [Fact]
    public async Task It_keeps_the_join_command_secret_and_out_of_every_command_line_and_log()
    {
        await _stack.RunAsync(_mocks);

        var (joinCommandArgs, joinCommandOptions) = _stack.CommandDeclared($"{Prefix}-join-command");
        Assert.Equal(["stdout"], joinCommandOptions.AdditionalSecretOutputs);
        Assert.Equal("stderr", _mocks.Command($"{Prefix}-join-command").Inputs["logging"]);
        Assert.Null(joinCommandArgs.Stdin);

        var (joinArgs, _) = _stack.CommandDeclared($"{Prefix}-join-worker1");
        Assert.True(await Output.IsSecretAsync(joinArgs.Stdin.ToOutput()));
        Assert.Equal(LabMocks.JoinCommand, _mocks.Command($"{Prefix}-join-worker1").Inputs["stdin"]);
        Assert.NotEqual("stdoutAndStderr", _mocks.Command($"{Prefix}-join-worker1").Inputs["logging"]);

        var token = LabMocks.JoinCommand.Split(' ')[4];
        foreach (var command in _mocks.Commands)
        {
            foreach (var (key, value) in command.Inputs.Where(i => i.Key != "stdin"))
                Assert.DoesNotContain(token, value.ToString() ?? "", StringComparison.Ordinal);
        }
        Assert.Equal([$"{Prefix}-join-worker1", $"{Prefix}-join-worker2"],
            _mocks.Commands.Where(c => c.Inputs.ContainsKey("stdin")).Select(c => c.Name).Order());
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

        Assert.Equal(3, _mocks.Commands.Count(c => Text(c.Inputs["create"]).StartsWith("multipass launch", StringComparison.Ordinal)));
        Assert.False(Directory.Exists(Path.Combine(_stack.Root, ".netlab")));
    }

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

        Assert.Equal("out/bin/netlab step apply underlay --stack Pulumi.dev.yaml", mocks.Command("dev-dev-underlay").Inputs["create"]);
        Assert.Equal("out/bin/netlab step remove pod-web-1 --stack Pulumi.dev.yaml", mocks.Command("dev-dev-pod-web-1").Inputs["delete"]);
        Assert.DoesNotContain(mocks.Commands, c => ((string)c.Inputs["create"]).Contains("multipass", StringComparison.Ordinal));
        Assert.All(mocks.Commands.Where(c => c.Name != "dev-dev-binaries"),
            c => Assert.StartsWith("out/bin/netlab step apply ", (string)c.Inputs["create"], StringComparison.Ordinal));
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
