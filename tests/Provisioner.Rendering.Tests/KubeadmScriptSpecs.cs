using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using Xunit;

namespace Provisioner.Rendering.Tests;

/// <summary>
/// kubeadm-init.sh, kubeadm-join.sh and print-join-command.sh against a fake <c>kubeadm</c> that fails the way a real one
/// does: a failed init or join is reset and retried, and whatever the scripts print has its secrets redacted.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed partial class KubeadmScriptSpecs : IDisposable
{
    private const string Token = "abcdef.0123456789abcdef";
    private static readonly string CertificateKey = new('c', 64);
    private static readonly string CaHash = "sha256:" + new string('e', 64);
    private static readonly string JoinCommand = $"kubeadm join 192.168.64.4:6443 --token {Token} --discovery-token-ca-cert-hash {CaHash}";

    /// <summary>What kubeadm prints that must never be shown: a join command and an uploaded certificate key.</summary>
    private static readonly string SecretLog =
        $"[bootstrap-token] Using token: {Token}\n[upload-certs] Using certificate key:\n{CertificateKey}\n{JoinCommand} --certificate-key {CertificateKey}\n";

    private readonly ScriptSandbox _cp = new(Stacks.Dev, "cp1");
    private readonly ScriptSandbox _worker = new(Stacks.Dev, "worker1");

    public void Dispose()
    {
        _cp.Dispose();
        _worker.Dispose();
    }

    /// <summary>The bootstrap token pattern, and a certificate key: 64 hex digits not after "sha256:" (the CA hash is public).</summary>
    [GeneratedRegex("[a-z0-9]{6}\\.[a-z0-9]{16}|(?<!sha256:)(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")]
    private static partial Regex Secret();

    internal static void AssertNoSecret(string text, string what) =>
        Assert.False(Secret().IsMatch(text), $"{what} shows a secret: {Secret().Match(text).Value}");

    /// <summary>A fake kubeadm: each call is logged to <c>calls</c>; <paramref name="body"/> runs after.</summary>
    private static void FakeKubeadm(ScriptSandbox node, string body) => node.Fake("kubeadm", $"""
        echo "$*" >> '{node.At("calls")}'
        case $1 in version) echo v1.35.2; exit 0 ;; esac
        {body}
        """);

    /// <summary>The kubeadm calls that change the node, without their <c>--config FILE</c>.</summary>
    private static string[] Calls(ScriptSandbox node) => File.Exists(node.At("calls"))
        ? [.. File.ReadAllLines(node.At("calls")).Where(c => !c.StartsWith("version", StringComparison.Ordinal)).Select(c => c.Split(" --config")[0])]
        : [];

    [Fact]
    public async Task A_failed_init_is_not_taken_for_an_initialised_node_and_the_retry_resets_then_inits()
    {
        _cp.FakeAddresses(("enp0s8", "192.168.64.5/24"));
        var admin = _cp.At("etc/kubernetes/admin.conf");
        // kubeadm init that writes admin.conf, then fails (e.g. the API server never became healthy).
        FakeKubeadm(_cp, $"""[[ $1 == init ]] && mkdir -p '{_cp.At("etc/kubernetes")}' && echo kubeconfig > '{admin}' && echo 'timed out waiting for the condition' && exit 1; exit 0""");

        var failed = await _cp.Run(NodeFiles.KubeadmInitScript);

        Assert.False(failed.Succeeded);
        Assert.Contains("timed out waiting for the condition", failed.StandardError);
        Assert.Contains("kubeadm init failed on dev-cp1", failed.StandardError);
        Assert.Contains("run this again: it resets the half-initialised node first", failed.StandardError);
        Assert.True(File.Exists(admin));

        FakeKubeadm(_cp, "exit 0");
        var retried = await _cp.Run(NodeFiles.KubeadmInitScript);

        Assert.True(retried.Succeeded, retried.StandardError);
        Assert.Contains("a previous kubeadm init did not finish on dev-cp1; kubeadm reset -f first", retried.StandardOutput);
        Assert.Equal(["init", "reset -f", "init"], Calls(_cp));

        var again = await _cp.Run(NodeFiles.KubeadmInitScript);
        Assert.Contains("dev-cp1 is already initialised", again.StandardOutput);
        Assert.Equal(["init", "reset -f", "init"], Calls(_cp));
    }

    [Fact]
    public async Task An_interrupted_init_that_left_no_admin_conf_is_reset_too()
    {
        _cp.FakeAddresses(("enp0s8", "192.168.64.5/24"));
        FakeKubeadm(_cp, "[[ $1 == init ]] && exit 1; exit 0");
        Assert.False((await _cp.Run(NodeFiles.KubeadmInitScript)).Succeeded);

        FakeKubeadm(_cp, "exit 0");
        Assert.True((await _cp.Run(NodeFiles.KubeadmInitScript)).Succeeded);
        Assert.Equal(["init", "reset -f", "init"], Calls(_cp));
    }

    [Fact]
    public async Task A_control_plane_initialised_before_the_marker_existed_is_left_as_it_is()
    {
        var home = _cp.At("home/ubuntu");
        _cp.Fake("getent", $"[[ $1 == passwd && $2 == ubuntu ]] && echo 'ubuntu:x:1000:1000::{home}:/bin/bash'");
        _cp.Write(_cp.At("etc/kubernetes/admin.conf"), "kubeconfig", RenderedFile.Private);
        _cp.Write(Path.Combine(home, ".kube", "config"), "kubeconfig", RenderedFile.Private);
        FakeKubeadm(_cp, "echo 'kubeadm must not run' >&2; exit 1");

        var result = await _cp.Run(NodeFiles.KubeadmInitScript);

        Assert.True(result.Succeeded, result.StandardError);
        Assert.Contains("dev-cp1 is already initialised", result.StandardOutput);
        Assert.Empty(Calls(_cp));
    }

    [Fact]
    public async Task A_failed_init_shows_the_end_of_its_log_with_tokens_and_certificate_keys_redacted()
    {
        _cp.FakeAddresses(("enp0s8", "192.168.64.5/24"));
        FakeKubeadm(_cp, $"[[ $1 == init ]] && printf '%s' '{SecretLog}' && echo 'error execution phase addon/coredns' && exit 1; exit 0");

        var result = await _cp.Run(NodeFiles.KubeadmInitScript);

        Assert.False(result.Succeeded);
        Assert.Contains("error execution phase addon/coredns", result.StandardError);
        Assert.Contains("Using token: [redacted token]", result.StandardError);
        Assert.Contains("--certificate-key [redacted key]", result.StandardError);
        Assert.Contains(CaHash, result.StandardError); // public: it is how a worker checks the control plane
        AssertNoSecret(result.StandardOutput + result.StandardError, "kubeadm-init.sh's output");
        Assert.Contains(Token, File.ReadAllText(_cp.At("var/lib/netlab/kubeadm-init.log"))); // the full log stays, root-only
        Assert.Equal(RenderedFile.Private, File.GetUnixFileMode(_cp.At("var/lib/netlab/kubeadm-init.log")));
    }

    [Fact]
    public async Task A_failed_join_shows_its_log_redacted_and_the_retry_resets_what_it_left()
    {
        _worker.FakeAddresses(("enp0s8", "192.168.64.7/24"));
        var bootstrap = _worker.At("etc/kubernetes/bootstrap-kubelet.conf");
        FakeKubeadm(_worker, $"""[[ $1 == join ]] && mkdir -p '{_worker.At("etc/kubernetes")}' && : > '{bootstrap}' && printf '%s' '{SecretLog}' && exit 1; exit 0""");

        var failed = await _worker.Run(NodeFiles.KubeadmJoinScript, stdin: JoinCommand + "\n");

        Assert.False(failed.Succeeded);
        Assert.Contains("kubeadm join failed on dev-worker1", failed.StandardError);
        Assert.Contains("[redacted token]", failed.StandardError);
        AssertNoSecret(failed.StandardOutput + failed.StandardError, "kubeadm-join.sh's output");

        FakeKubeadm(_worker, $"""[[ $1 == join ]] && : > '{_worker.At("etc/kubernetes/kubelet.conf")}'; exit 0""");
        var retried = await _worker.Run(NodeFiles.KubeadmJoinScript, stdin: JoinCommand + "\n");

        Assert.True(retried.Succeeded, retried.StandardError);
        Assert.Contains("a previous kubeadm join did not finish on dev-worker1; kubeadm reset -f first", retried.StandardOutput);
        Assert.Equal(["join", "reset -f", "join"], Calls(_worker));
        Assert.Contains("dev-worker1 has already joined", (await _worker.Run(NodeFiles.KubeadmJoinScript, stdin: "")).StandardOutput);
    }

    [Fact]
    public async Task Print_join_command_prints_nothing_but_the_join_command_on_stdout()
    {
        _cp.Write(_cp.At("etc/kubernetes/admin.conf"), "kubeconfig", RenderedFile.Private);
        FakeKubeadm(_cp, $"""
            [[ "$*" == "token create --ttl 30m --print-join-command" ]] || exit 3
            echo 'W1201 09:00:00 configset.go:78] Warning: No kubeproxy.config.k8s.io/v1alpha1 config is loaded' >&2
            echo '{JoinCommand} '
            """);

        var result = await _cp.Run(NodeFiles.PrintJoinCommand);

        Assert.True(result.Succeeded, result.StandardError);
        Assert.Equal(JoinCommand + " \n", result.StandardOutput);
        Assert.Empty(result.StandardError); // kubeadm's chatter is not passed on (it could name the token)
    }

    [Fact]
    public async Task Print_join_command_fails_with_kubeadm_errors_redacted()
    {
        _cp.Write(_cp.At("etc/kubernetes/admin.conf"), "kubeconfig", RenderedFile.Private);
        FakeKubeadm(_cp, $"echo 'failed to create bootstrap token {Token}: connection refused' >&2; exit 1");

        var result = await _cp.Run(NodeFiles.PrintJoinCommand);

        Assert.False(result.Succeeded);
        Assert.Empty(result.StandardOutput);
        Assert.Contains("failed to create bootstrap token [redacted token]: connection refused", result.StandardError);
        AssertNoSecret(result.StandardError, "print-join-command.sh's errors");
    }

    [Fact]
    public void No_rendered_file_of_any_stack_holds_a_secret()
    {
        foreach (var c in Stacks.GoldenCases())
            foreach (var (node, files) in LabRenderer.RenderAll(Stacks.Plan(c)))
                foreach (var file in files)
                    AssertNoSecret(file.Content, $"{c}/{node}/{file.RelativePath}");
    }

    [Fact]
    public void The_secret_check_finds_a_token_and_a_certificate_key_but_not_the_ca_hash()
    {
        Assert.Throws<Xunit.Sdk.FalseException>(() => AssertNoSecret($"--token {Token}", "a token"));
        Assert.Throws<Xunit.Sdk.FalseException>(() => AssertNoSecret(CertificateKey, "a key"));
        AssertNoSecret(CaHash, "the CA hash");
    }
}
