using System.Diagnostics;

namespace Provisioner.Deploy.Tests;

/// <summary>
/// A project root (with <c>Pulumi.yaml</c>) and a fake <c>multipass</c> on the PATH that records every call's words in
/// <c>argv.log</c> and keeps VMs as files: what the step commands do can be run here, as <c>/bin/sh -c</c> runs them.
/// The control plane's print-join-command prints <see cref="JoinCommand"/>; a worker's join saves its stdin.
/// </summary>
internal sealed class FakeMultipass : IDisposable
{
    public const string Token = "abcdef.0123456789abcdef";
    public const string JoinCommand = "kubeadm join 192.168.64.11:6443 --token " + Token + " --discovery-token-ca-cert-hash sha256:" +
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private const string Script = """
        #!/bin/sh
        d=$(dirname "$0")
        printf '%s\n' "$*" >> "$d/argv.log"
        case "$1" in
          info) [ -e "$d/vm-$2" ] || { echo "info failed: instance \"$2\" does not exist" >&2; exit 2; }; echo '{}' ;;
          start) [ -e "$d/vm-$2" ] || exit 2 ;;
          launch) while [ $# -gt 0 ]; do [ "$1" = --name ] && touch "$d/vm-$2"; shift; done ;;
          delete) rm -f "$d/vm-$3" "$d/owner-$3" ;;
          transfer) ;;
          exec)
            vm=$2; shift 3
            [ -e "$d/vm-$vm" ] || exit 2
            case "$*" in
              "cat /var/lib/netlab/owner") cat "$d/owner-$vm" 2>/dev/null || exit 1 ;;
              "sudo tee /var/lib/netlab/owner") cat > "$d/owner-$vm" ;;
              *print-join-command.sh) echo "$FAKE_JOIN_COMMAND" ;;
              *kubeadm-join.sh*) cat > "$d/join-stdin-$vm" ;;
              *) ;;
            esac ;;
        esac
        """;

    public FakeMultipass()
    {
        Root = Directory.CreateTempSubdirectory("netlab-deploy-").FullName;
        File.WriteAllText(System.IO.Path.Combine(Root, "Pulumi.yaml"), "name: netlab\n");
        Bin = Directory.CreateDirectory(System.IO.Path.Combine(Root, "fake-bin")).FullName;
        var multipass = System.IO.Path.Combine(Bin, "multipass");
        File.WriteAllText(multipass, Script.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n");
        if (!OperatingSystem.IsWindows()) // the steps refuse Windows anyway
            File.SetUnixFileMode(multipass, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>The project root.</summary>
    public string Root { get; }

    public string Bin { get; }

    /// <summary>Every multipass call so far, one line of words each.</summary>
    public string[] Calls => File.Exists(Of("argv.log")) ? File.ReadAllLines(Of("argv.log")) : [];

    public string Of(string name) => System.IO.Path.Combine(Bin, name);

    public void HasVm(string vm, string? owner = null)
    {
        File.WriteAllText(Of($"vm-{vm}"), "");
        if (owner is not null)
            File.WriteAllText(Of($"owner-{vm}"), owner + "\n");
    }

    public bool VmExists(string vm) => File.Exists(Of($"vm-{vm}"));

    /// <summary>Runs a step's command as the Pulumi program has it run (from the project root) in <paramref name="workingDirectory"/>.</summary>
    public (int ExitCode, string Output) Run(string command, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Shell.FromProjectRoot(command));
        start.WorkingDirectory = workingDirectory ?? Root;
        start.Environment["PATH"] = $"{Bin}:{Environment.GetEnvironmentVariable("PATH")}";
        start.Environment["FAKE_JOIN_COMMAND"] = JoinCommand;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(20_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the command did not finish in 20 s: {command}");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
