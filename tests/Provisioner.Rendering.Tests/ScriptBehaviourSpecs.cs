using System.Runtime.Versioning;
using Xunit;

namespace Provisioner.Rendering.Tests;

/// <summary>The rendered scripts run for real (bash, sed, install, mv) against fake <c>ip</c> and <c>kubeadm</c>.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class ScriptBehaviourSpecs : IDisposable
{
    private const string Token = "abcdef.0123456789abcdef";
    private static readonly string CaHash = "sha256:" + new string('e', 64);
    private static readonly string JoinCommand = $"kubeadm join 192.168.64.4:6443 --token {Token} --discovery-token-ca-cert-hash {CaHash} \n";

    private readonly ScriptSandbox _worker = new(Stacks.Dev, "worker1");
    private readonly ScriptSandbox _cp = new(Stacks.Dev, "cp1");

    public void Dispose()
    {
        _worker.Dispose();
        _cp.Dispose();
    }

    [Fact]
    public async Task The_node_ip_is_the_address_in_the_Multipass_network_not_the_NAT_address()
    {
        _worker.FakeAddresses(("enp0s3", "10.0.2.15/24"), ("enp0s8", "192.168.64.7/24"), ("netlab0", "10.244.1.1/24"));

        var result = await _worker.Run(NodeFiles.NodeIp);

        Assert.True(result.Succeeded, result.StandardError);
        Assert.Equal("192.168.64.7", result.StandardOutput.Trim());
    }

    [Fact]
    public async Task The_node_ip_from_multipass_info_is_checked_against_the_node_addresses()
    {
        _worker.FakeAddresses(("enp0s3", "10.0.2.15/24"), ("enp0s8", "192.168.64.7/24"));

        var ok = await _worker.Run(NodeFiles.NodeIp, ["192.168.64.7"]);
        var wrong = await _worker.Run(NodeFiles.NodeIp, ["192.168.64.99"]);

        Assert.Equal("192.168.64.7", ok.StandardOutput.Trim());
        Assert.False(wrong.Succeeded);
        Assert.Contains("192.168.64.99 is not an address of dev-worker1", wrong.StandardError);
    }

    [Fact]
    public async Task Without_an_address_in_the_node_network_it_fails_with_the_fix()
    {
        _worker.FakeAddresses(("enp0s3", "10.0.2.15/24"), ("enp0s8", "10.91.3.8/24"));

        var result = await _worker.Run(NodeFiles.NodeIp);

        Assert.False(result.Succeeded);
        Assert.Contains("no address in network.nodeCidr 192.168.64.0/24 (it has: 10.0.2.15 10.91.3.8)", result.StandardError);
        Assert.Contains("pulumi config set --path 'network.nodeCidr'", result.StandardError);
    }

    [Fact]
    public async Task Join_reads_the_secret_join_command_from_stdin_and_leaves_no_copy_of_the_token()
    {
        _worker.FakeAddresses(("enp0s8", "192.168.64.7/24"));
        var captured = _worker.At("captured-join.yaml");
        _worker.Fake("kubeadm", $"""[[ $1 == join && $2 == --config ]] && cp "$3" '{captured}' && echo "joined" """);

        var result = await _worker.Run(NodeFiles.KubeadmJoinScript, stdin: JoinCommand);

        Assert.True(result.Succeeded, result.StandardError);
        var join = Yaml.Kind(File.ReadAllText(captured), "JoinConfiguration");
        Assert.Equal(Token, Yaml.Scalar(join, "discovery", "bootstrapToken", "token"));
        Assert.Equal("192.168.64.4:6443", Yaml.Scalar(join, "discovery", "bootstrapToken", "apiServerEndpoint"));
        Assert.Equal(CaHash, Yaml.Sequence(join, "discovery", "bootstrapToken", "caCertHashes").Single().ToString());
        Assert.Equal("192.168.64.7", Yaml.Args(join, "nodeRegistration", "kubeletExtraArgs")["node-ip"]);
        Assert.DoesNotContain(Token, result.StandardOutput + result.StandardError);
        Assert.False(File.Exists(_worker.At("var/lib/netlab/kubeadm-join.yaml")), "the runtime config holding the token is removed");
        Assert.DoesNotContain(Token, File.ReadAllText(_worker.Paths.KubeadmJoinConfig));
    }

    [Fact]
    public async Task Join_never_reads_the_join_command_from_the_environment()
    {
        _worker.FakeAddresses(("enp0s8", "192.168.64.7/24"));
        _worker.Fake("kubeadm", "echo 'kubeadm must not run' >&2; exit 1");

        var result = await _worker.Run(NodeFiles.KubeadmJoinScript, environment: new Dictionary<string, string?> { ["NETLAB_JOIN_COMMAND"] = JoinCommand });

        Assert.False(result.Succeeded);
        Assert.Contains("on stdin", result.StandardError);
        Assert.DoesNotContain("kubeadm must not run", result.StandardError);
        Assert.DoesNotContain("NETLAB_JOIN_COMMAND", string.Concat(_worker.Files.Select(f => f.Content)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("kubeadm join 192.168.64.4:6443 --token abc")]
    [InlineData("kubeadm join 192.168.64.4:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:x; rm -rf /")]
    public async Task Join_refuses_anything_but_a_well_formed_join_command(string stdin)
    {
        _worker.FakeAddresses(("enp0s8", "192.168.64.7/24"));
        _worker.Fake("kubeadm", "echo 'kubeadm must not run' >&2; exit 1");

        var result = await _worker.Run(NodeFiles.KubeadmJoinScript, stdin: stdin);

        Assert.False(result.Succeeded);
        Assert.Contains("expected 'kubeadm join ADDRESS:PORT --token TOKEN", result.StandardError);
        Assert.DoesNotContain("kubeadm must not run", result.StandardError);
    }

    [Fact]
    public async Task Init_fills_in_the_node_ip_and_version_and_keeps_kubeadm_output_with_its_token_out_of_stdout()
    {
        _cp.FakeAddresses(("enp0s3", "10.0.2.15/24"), ("enp0s8", "192.168.64.5/24"));
        var captured = _cp.At("captured-init.yaml");
        _cp.Fake("kubeadm", $"""
            case $1 in
              version) echo v1.35.2 ;;
              init) cp "$3" '{captured}'; echo "kubeadm join 192.168.64.5:6443 --token {Token}" ;;
            esac
            """);

        var result = await _cp.Run(NodeFiles.KubeadmInitScript);

        Assert.True(result.Succeeded, result.StandardError);
        var docs = File.ReadAllText(captured);
        Assert.Equal("192.168.64.5", Yaml.Scalar(Yaml.Kind(docs, "InitConfiguration"), "localAPIEndpoint", "advertiseAddress"));
        Assert.Equal("v1.35.2", Yaml.Scalar(Yaml.Kind(docs, "ClusterConfiguration"), "kubernetesVersion"));
        Assert.DoesNotContain("@", docs.Split('\n').Where(l => !l.TrimStart().StartsWith('#')).Aggregate("", string.Concat));
        Assert.DoesNotContain(Token, result.StandardOutput + result.StandardError);
        Assert.Contains("control plane dev-cp1 is up at https://192.168.64.5:6443", result.StandardOutput);
    }

    [Fact]
    public async Task Install_cni_puts_the_binary_and_conflist_in_place_binary_first()
    {
        _cp.Write(_cp.At("opt/cni/bin/loopback"), "#!/bin/sh\n", RenderedFile.Executable);
        _cp.Write(_cp.Paths.StagedCniBinary, "netlab-cni binary", RenderedFile.Readable);
        _cp.Write(_cp.Paths.StagedConflist, """{"cniVersion":"1.0.0"}""", RenderedFile.Readable);

        var result = await _cp.Run(NodeFiles.InstallCni);

        Assert.True(result.Succeeded, result.StandardError);
        Assert.Equal("netlab-cni binary", File.ReadAllText(_cp.At("opt/cni/bin/netlab-cni")));
        Assert.Equal(RenderedFile.Executable, File.GetUnixFileMode(_cp.At("opt/cni/bin/netlab-cni")));
        Assert.Equal("""{"cniVersion":"1.0.0"}""", File.ReadAllText(_cp.At("etc/cni/net.d/10-netlab.conflist")));
        Assert.Empty(Directory.GetFiles(_cp.At("etc/cni/net.d"), ".*"));
    }

    [Fact]
    public async Task Install_cni_refuses_a_node_without_the_loopback_plugin()
    {
        _cp.Write(_cp.Paths.StagedCniBinary, "netlab-cni binary", RenderedFile.Readable);
        _cp.Write(_cp.Paths.StagedConflist, "{}", RenderedFile.Readable);

        var result = await _cp.Run(NodeFiles.InstallCni);

        Assert.False(result.Succeeded);
        Assert.Contains("loopback is missing; install the kubernetes-cni package", result.StandardError);
        Assert.False(File.Exists(_cp.At("etc/cni/net.d/10-netlab.conflist")));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task Waiting_for_cloud_init_accepts_done_and_done_with_warnings_once_the_node_is_prepared(int cloudInitExit)
    {
        _cp.Fake("cloud-init", $"exit {cloudInitExit}");
        _cp.Write(_cp.At("var/lib/netlab/prepared"), "", RenderedFile.Readable);

        var result = await _cp.Run(NodeFiles.WaitForCloudInit);

        Assert.True(result.Succeeded, result.StandardError);
        Assert.Contains("dev-cp1 is prepared", result.StandardOutput);
    }

    [Fact]
    public async Task Waiting_for_cloud_init_fails_with_where_to_look_when_it_failed()
    {
        _cp.Fake("cloud-init", "[[ $2 == --long ]] && echo 'status: error'; exit 1");

        var result = await _cp.Run(NodeFiles.WaitForCloudInit);

        Assert.False(result.Succeeded);
        Assert.Contains("status: error", result.StandardError);
        Assert.Contains("/var/log/cloud-init-output.log", result.StandardError);
    }

    [Fact]
    public async Task Waiting_for_cloud_init_fails_when_prepare_node_did_not_finish()
    {
        _cp.Fake("cloud-init", "exit 0");

        var result = await _cp.Run(NodeFiles.WaitForCloudInit);

        Assert.False(result.Succeeded);
        Assert.Contains("prepare-node.sh did not complete", result.StandardError);
    }
}
