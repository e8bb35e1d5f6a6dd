using System.Runtime.Versioning;
using Provisioner.Cli;
using Provisioner.Testing;
using Provisioner.VmLab.Tests.Support;
using Xunit;

namespace Provisioner.VmLab.Tests;

/// <summary>Tests that put stand-in <c>multipass</c> and <c>kubectl</c> first on this process's PATH: one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessPath
{
    public const string Name = "PATH";
}

/// <summary>
/// <c>netlab verify</c> and <c>netlab status</c> on the VM lab, end to end through the CLI: the stand-ins on PATH replay
/// a recorded lab whose VMs are loopback addresses, and the NodePorts are real HTTP servers on them.
/// </summary>
[Collection(ProcessPath.Name)]
[UnsupportedOSPlatform("windows")]
public sealed class VmCliSpecs : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("netlab-vmcli-").FullName;
    private readonly RecordedLab _lab;
    private readonly LoopbackNodePorts _nodePorts = new();
    private readonly string _stack;

    public VmCliSpecs()
    {
        _stack = Path.Combine(_root, "Pulumi.dev.yaml");
        File.Copy(RepoPaths.Of("Pulumi.dev.yaml"), _stack);
        _lab = new RecordedLab(_root, nodeNetwork: "127.0.64.");
        foreach (var node in _lab.Target.Nodes)
        {
            _nodePorts.Answer(_lab.NodeAddress(node.Name), 30080, node.Name == "worker1" ? "api-1" : "api-2");
            _nodePorts.Answer(_lab.NodeAddress(node.Name), _lab.NodePort("web-local"), _lab.Plan.Lab.Pods.First(p => p.Node == node.Name && p.Labels["app"] == "web").Name);
            _nodePorts.Answer(_lab.NodeAddress(node.Name), _lab.NodePort("web-lb"), "web-2");
        }
    }

    private (int Code, string Output, string Error) Netlab(params string[] args)
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", $"{_lab.Tools.Folder}:{path}");
        try
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            var code = NetlabCli.Run(args, output, error);
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
        }
    }

    private void WriteKubeconfig()
    {
        Directory.CreateDirectory(Path.Combine(_root, ".netlab", "dev"));
        File.WriteAllText(Path.Combine(_root, ".netlab", "dev", "kubeconfig"), "apiVersion: v1\nkind: Config\n");
    }

    [Fact]
    public void Verify_picks_the_vm_lab_pulumi_built_and_passes_every_layer()
    {
        WriteKubeconfig();

        var (code, output, error) = Netlab("verify", "--stack", _stack);

        Assert.True(code == ExitCodes.Ok, output + error);
        Assert.StartsWith("VM lab dev (kubeconfig ", output, StringComparison.Ordinal);
        Assert.Contains("│ NodePort     │ this machine -> worker1 127.0.64.6:30080 (service api)", output, StringComparison.Ordinal);
        Assert.Contains("answered by api-1", output, StringComparison.Ordinal);
        Assert.Contains("checks passed", output, StringComparison.Ordinal);
        Assert.Contains(_lab.Tools.Calls, c => c.StartsWith("kubectl --kubeconfig ", StringComparison.Ordinal) && c.Contains(" exec --namespace default web-1 --container netexec -- nslookup kubernetes.default", StringComparison.Ordinal));
    }

    [Fact]
    public void Verify_names_the_lowest_broken_layer_and_the_command_to_look_with()
    {
        WriteKubeconfig();
        _lab.PodHttp("web-3", System.Net.IPAddress.Parse("10.244.1.2"), 8080, "", "curl: (28) Connection timed out after 2002 milliseconds\n", 28);

        var (code, output, error) = Netlab("verify", "--stack", _stack);

        Assert.Equal(ExitCodes.VerifyFailed, code);
        Assert.Contains("Lowest broken layer: Fabric (pod web-3 -> pod web-1 (cp1 -> worker1): no answer within the time limit", error, StringComparison.Ordinal);
        Assert.Contains("Look further: multipass exec dev-cp1 -- sudo ovs-ofctl dump-flows netlab0", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_shows_the_vms_pods_and_services_as_the_cluster_has_them()
    {
        WriteKubeconfig();

        var (code, output, error) = Netlab("status", "--stack", _stack);

        Assert.True(code == ExitCodes.Ok, output + error);
        Assert.Contains("dev-worker1 (Running)", output, StringComparison.Ordinal);
        Assert.Contains("10.244.1.0/24", output, StringComparison.Ordinal);
        Assert.Contains("Ready v1.35.0", output, StringComparison.Ordinal);
        Assert.Contains("│ web-1  │ worker1 │ 10.244.1.2 │ Running, ready", output, StringComparison.Ordinal);
        Assert.Contains("web-1 10.244.1.2:8080, web-2 10.244.2.2:8080, web-3 10.244.0.2:8080", output, StringComparison.Ordinal);
        Assert.Contains("8080:30080/TCP", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_shows_the_rule_path_to_the_pods_the_cluster_runs()
    {
        WriteKubeconfig();

        var (code, output, error) = Netlab("explain", "api", "--stack", _stack, "--node", "worker2");

        Assert.True(code == ExitCodes.Ok, output + error);
        Assert.Contains("10.244.1.3:8080", output, StringComparison.Ordinal); // api-1, from kubectl get pods
        Assert.Contains("10.244.2.3:8080", output, StringComparison.Ordinal); // api-2
        Assert.Contains("30080", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Asking_for_the_vm_lab_before_pulumi_built_it_says_how_to_build_it()
    {
        var (code, _, error) = Netlab("verify", "--stack", _stack, "--backend", "multipass");

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("no kubeconfig at ", error, StringComparison.Ordinal);
        Assert.Contains("run 'pulumi up' here", error, StringComparison.Ordinal);
        Assert.Empty(_lab.Tools.Calls);
    }

    public void Dispose()
    {
        _nodePorts.Dispose();
        _lab.Dispose();
        Directory.Delete(_root, recursive: true);
    }
}
