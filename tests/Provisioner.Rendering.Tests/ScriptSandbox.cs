using System.Runtime.Versioning;
using Provisioner.Core.Planning;
using Provisioner.Host.Processes;
using Provisioner.Rendering.Models;
using Xunit;

namespace Provisioner.Rendering.Tests;

/// <summary>
/// A node's rendered scripts and configs installed under a temporary folder (its <see cref="NodePaths"/> point there),
/// with fake programs (<c>ip</c>, <c>kubeadm</c>) first on PATH, so the scripts' real logic runs without a VM or root.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class ScriptSandbox : IDisposable
{
    public ScriptSandbox(LabPlan plan, string node)
    {
        Directory.CreateDirectory(FakeBin);
        Paths = new NodePaths
        {
            BinDir = At("opt/netlab/bin"), ConfigDir = At("etc/netlab"), StateDir = At("var/lib/netlab"),
            StagedCniBinary = At("var/lib/netlab/stage/netlab-cni"), CniBinDir = At("opt/cni/bin"), CniConfDir = At("etc/cni/net.d"),
            SystemdUnitDir = At("etc/systemd/system"), KubernetesDir = At("etc/kubernetes"),
        };
        Files = LabRenderer.RenderNode(plan, node, paths: Paths);
        Assert.All(Files, f => Assert.True(f.NodePath is null || f.NodePath.StartsWith(Root, StringComparison.Ordinal),
            $"{f.RelativePath} would be written outside the sandbox, at {f.NodePath}: give its NodePaths directory a sandbox value"));
        foreach (var file in Files.Where(f => f.NodePath is not null))
            Write(file.NodePath!, file.Content, file.Mode);
    }

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "netlab-scripts-" + Guid.NewGuid().ToString("N")[..8]);
    public string FakeBin => Path.Combine(Root, "fake-bin");
    public NodePaths Paths { get; }

    /// <summary>What was rendered for the node with the sandbox's paths.</summary>
    public IReadOnlyList<RenderedFile> Files { get; }

    public string At(string relative) => Path.Combine(Root, relative);

    /// <summary>Adds a fake program (a bash script body) that runs instead of the real one.</summary>
    public void Fake(string program, string body) =>
        Write(Path.Combine(FakeBin, program), "#!/usr/bin/env bash\n" + body + "\n", RenderedFile.Executable);

    /// <summary>A fake <c>ip</c> whose <c>ip -4 -o addr show scope global</c> lists these interface/address pairs.</summary>
    public void FakeAddresses(params (string Interface, string Cidr)[] addresses) =>
        Fake("ip", string.Concat(addresses.Select((a, i) =>
            $"echo '{i + 2}: {a.Interface}    inet {a.Cidr} brd 0.0.0.0 scope global {a.Interface}\\       valid_lft forever preferred_lft forever'\n")));

    public void Write(string path, string content, UnixFileMode mode)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, mode);
    }

    public async Task<CommandResult> Run(string script, string[]? arguments = null, string? stdin = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var env = new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>())
        {
            ["PATH"] = $"{FakeBin}:{Environment.GetEnvironmentVariable("PATH")}",
        };
        return await ProcessRunner.Default.TryRunAsync("timeout", ["20", Paths.Script(script), .. arguments ?? []], stdin ?? "", env);
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
