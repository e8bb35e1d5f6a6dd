using Provisioner.Host.Processes;
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

    /// <summary>Inside each VM: which stack launched it (<c>stack=NAME</c>), so another stack never adopts it.</summary>
    public const string OwnerFile = "/var/lib/netlab/owner";

    public static string Launch(LaunchSpec spec) => Line(MultipassDriver.LaunchArguments(spec));

    /// <summary>
    /// <c>info || launch</c>, then claim: a VM that exists is started (a no-op when running) and kept only if it is
    /// this stack's: its <see cref="OwnerFile"/> says <paramref name="owner"/>, or it has none yet and this stack's
    /// <paramref name="launchRecord"/> (written just before each launch) says a launch of ours left it (a timeout).
    /// Any other VM of that name is refused before anything touches it. A launched VM is then marked as ours.
    /// </summary>
    public static string EnsureVm(LaunchSpec spec, string owner, string launchRecord)
    {
        var vm = spec.Name;
        var launch = Shell.AllOf(Shell.Command("mkdir", "-p", Path.GetDirectoryName(launchRecord)!), Shell.Command("touch", launchRecord), Launch(spec));
        var readOwner = $"owner=$({Exec(vm, "cat", OwnerFile)} 2>/dev/null || true)";
        var ours = $"[ \"$owner\" = {ShellQuote.Quote(owner)} ] || {{ [ -z \"$owner\" ] && [ -e {ShellQuote.Quote(launchRecord)} ]; }}";
        var claim = Shell.AllOf(Exec(vm, "sudo", "mkdir", "-p", Path.GetDirectoryName(OwnerFile)!),
            Shell.Pipe(Shell.Command("printf", @"%s\n", owner), ExecReadingStdin(vm, "sudo", "tee", OwnerFile)) + " >/dev/null",
            Shell.Command("rm", "-f", launchRecord));
        var refuse = $"{{ echo {ShellQuote.Quote($"netlab: a VM named {vm} already exists and is not this stack's ({owner}); its {OwnerFile} says: ")}\"${{owner:-nothing}}\" >&2; " +
            $"echo {ShellQuote.Quote($"Fix: give this stack its own lab name (pulumi config set name <name>), or, if that VM is unused, multipass delete --purge {vm}")} >&2; exit 1; }}";
        return Shell.AllOf(Shell.IfElse(Info(vm), Line(MultipassDriver.StartArguments(vm)), launch), readOwner,
            $"if {ours}; then {claim}; else {refuse}; fi");
    }

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
