using Provisioner.Multipass;

namespace Provisioner.Deploy.Multipass;

/// <summary>A file copied to a node: from this machine (relative to the project root) to its place on the node.</summary>
public sealed record NodeTransfer(string LocalPath, string NodePath, string Mode);

/// <summary>
/// The <c>multipass</c> command lines the steps run, from <see cref="MultipassDriver"/>'s argument lists (the one source
/// of truth for Multipass arguments). Every command that is not meant to read the step's stdin reads /dev/null, so a
/// secret on stdin only reaches the one command that consumes it.
/// </summary>
public static class MultipassCommands
{
    private const string NoStdin = " </dev/null";

    public static string Launch(LaunchSpec spec) => Line(MultipassDriver.LaunchArguments(spec));

    /// <summary>Deletes and purges this one VM (never <c>--all</c>); nothing to do if it is already gone.</summary>
    public static string Delete(string vm) => Shell.IfSucceeds(Info(vm), Line(MultipassDriver.DeleteArguments(vm)));

    public static string Info(string vm) => Line(MultipassDriver.InfoArguments(vm));

    /// <summary><c>multipass exec VM -- ARGS</c> with stdin from /dev/null.</summary>
    public static string Exec(string vm, params IEnumerable<Arg> argv) => ExecReadingStdin(vm, argv) + NoStdin;

    /// <summary><c>multipass exec VM -- ARGS</c> that reads the step's stdin (a secret: never put it in ARGS).</summary>
    public static string ExecReadingStdin(string vm, params IEnumerable<Arg> argv) =>
        Shell.Command([MultipassDriver.Program, .. ExecPrefix(vm), .. argv]);

    /// <summary>Runs a command on the VM unless the VM is gone (for delete commands that undo work on the VM).</summary>
    public static string ExecIfPresent(string vm, params IEnumerable<Arg> argv) => Shell.IfSucceeds(Info(vm), Exec(vm, argv));

    /// <summary>Copies files to the VM and installs each at its place with its mode, as root.</summary>
    public static string Install(string vm, IEnumerable<NodeTransfer> files) =>
        Shell.AllOf(files.SelectMany(f => MultipassDriver.InstallFileArguments(vm, f.LocalPath, f.NodePath, f.Mode)).Select(Line));

    /// <summary>Writes a file of the VM to a local file only the user can read (e.g. the admin kubeconfig).</summary>
    public static string CopyOutPrivate(string vm, string nodePath, string localPath) =>
        Shell.ToPrivateFile(Line(MultipassDriver.ExecArguments(vm, ["sudo", "cat", nodePath])), localPath);

    private static string Line(IReadOnlyList<string> arguments) => MultipassDriver.CommandLine(arguments) + NoStdin;

    /// <summary>The driver's <c>exec VM --</c> words (our commands may end in variable references, which it does not take).</summary>
    private static IEnumerable<Arg> ExecPrefix(string vm) => MultipassDriver.ExecArguments(vm, ["true"]).SkipLast(1).Select(Arg.FromString);
}
