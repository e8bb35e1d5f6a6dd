using Provisioner.Core.Model;

namespace Provisioner.Deploy.Multipass;

/// <summary>A file copied to a node: from this machine (relative to the project root) to its place on the node.</summary>
public sealed record NodeTransfer(string LocalPath, string NodePath, string Mode);

/// <summary>
/// The <c>multipass</c> command lines the steps run, built from argument lists. Every command that is not meant to
/// read the step's stdin reads /dev/null, so a secret on stdin only reaches the one command that consumes it.
/// </summary>
public static class MultipassCommands
{
    private const string NoStdin = " </dev/null";

    /// <summary><c>multipass launch --name VM --cpus N --memory M --disk D --timeout S --cloud-init FILE IMAGE</c>.</summary>
    public static string Launch(string vm, NodeSpec node, string image, string cloudInitFile, int timeoutSeconds) =>
        Shell.Command("multipass", "launch", "--name", vm, "--cpus", Invariant(node.Cpus), "--memory", node.Memory.ToString(),
            "--disk", node.Disk.ToString(), "--timeout", Invariant(timeoutSeconds), "--cloud-init", cloudInitFile, image) + NoStdin;

    /// <summary>Deletes and purges this one VM (never <c>--all</c>); nothing to do if it is already gone.</summary>
    public static string Delete(string vm) =>
        Shell.IfSucceeds(Info(vm), Shell.Command("multipass", "delete", "--purge", vm) + NoStdin);

    public static string Info(string vm) => Shell.Command("multipass", "info", "--format", "json", vm) + NoStdin;

    /// <summary><c>multipass exec VM -- ARGS</c> with stdin from /dev/null.</summary>
    public static string Exec(string vm, params IEnumerable<Arg> argv) => ExecReadingStdin(vm, argv) + NoStdin;

    /// <summary><c>multipass exec VM -- ARGS</c> that reads the step's stdin (a secret: never put it in ARGS).</summary>
    public static string ExecReadingStdin(string vm, params IEnumerable<Arg> argv) =>
        Shell.Command([(Arg)"multipass", "exec", vm, "--", .. argv]);

    /// <summary>Runs a command on the VM unless the VM is gone (for delete commands that undo work on the VM).</summary>
    public static string ExecIfPresent(string vm, params IEnumerable<Arg> argv) => Shell.IfSucceeds(Info(vm), Exec(vm, argv));

    /// <summary>Copies files to the VM and installs each at its place with its mode (as root).</summary>
    public static string Install(string vm, IEnumerable<NodeTransfer> files)
    {
        var commands = new List<string> { Exec(vm, "mkdir", "-p", NodeFileNames.NodeStageDir) };
        foreach (var file in files)
        {
            var staged = $"{NodeFileNames.NodeStageDir}/{file.NodePath.TrimStart('/').Replace('/', '_')}";
            commands.Add(Shell.Command("multipass", "transfer", file.LocalPath, $"{vm}:{staged}") + NoStdin);
            commands.Add(Exec(vm, "sudo", "install", "-D", "-m", file.Mode, staged, file.NodePath));
        }
        return Shell.AllOf(commands);
    }

    /// <summary>Writes a file of the VM to a local file only the user can read (e.g. the admin kubeconfig).</summary>
    public static string CopyOutPrivate(string vm, string nodePath, string localPath) =>
        Shell.ToPrivateFile(Exec(vm, "sudo", "cat", nodePath), localPath);

    private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
