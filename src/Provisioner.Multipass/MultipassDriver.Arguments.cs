using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Provisioner.Host.Processes;

namespace Provisioner.Multipass;

/// <summary>
/// The argument lists of every Multipass command netlab runs: the one source of truth for this driver and for the
/// Pulumi program, which turns the same lists into command strings with <see cref="CommandLine"/>.
/// </summary>
public sealed partial class MultipassDriver
{
    public const string Program = "multipass";

    public static IReadOnlyList<string> LaunchArguments(LaunchSpec spec)
    {
        CheckName(spec.Name);
        if (spec.Cpus < 1)
            throw new ArgumentException($"cpus must be at least 1 (got {spec.Cpus})", nameof(spec));
        return ["launch", spec.Image, "--name", spec.Name, "--cpus", spec.Cpus.ToString(CultureInfo.InvariantCulture),
            "--memory", spec.Memory, "--disk", spec.Disk, "--cloud-init", spec.CloudInitFile,
            "--timeout", ((int)Math.Ceiling(spec.Timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture)];
    }

    public static IReadOnlyList<string> InfoArguments(string name) => ["info", CheckName(name), "--format", "json"];

    /// <summary><c>multipass exec NAME -- COMMAND...</c>: the command's words are passed as they are (no shell inside).</summary>
    public static IReadOnlyList<string> ExecArguments(string name, IEnumerable<string> command)
    {
        string[] words = [.. command];
        if (words.Length == 0)
            throw new ArgumentException("exec needs a command", nameof(command));
        return ["exec", CheckName(name), "--", .. words];
    }

    /// <summary><c>multipass transfer LOCAL NAME:REMOTE</c> (as the VM's default user: REMOTE must be writable by it).</summary>
    public static IReadOnlyList<string> TransferArguments(string localPath, string name, string remotePath) =>
        ["transfer", localPath, $"{CheckName(name)}:{CheckRemote(remotePath)}"];

    /// <summary><c>multipass start NAME</c>: boots a stopped VM; nothing to do for a running one.</summary>
    public static IReadOnlyList<string> StartArguments(string name) => ["start", CheckName(name)];

    /// <summary><c>multipass delete --purge NAME</c>: exactly that VM, never <c>--all</c>.</summary>
    public static IReadOnlyList<string> DeleteArguments(string name) => ["delete", "--purge", CheckName(name)];

    /// <summary>
    /// Installs a local file at an absolute path on a VM, as root with a mode: transfer to a staging file in <c>/tmp</c>
    /// (the default user can write only there), <c>sudo install</c> it into place, remove the staging file.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<string>> InstallFileArguments(string name, string localPath, string nodePath, string octalMode)
    {
        if (!OctalMode().IsMatch(octalMode))
            throw new ArgumentException($"mode must be octal like 0755 (got '{octalMode}')", nameof(octalMode));
        var staging = StagingPath(CheckRemote(nodePath));
        return
        [
            TransferArguments(localPath, name, staging),
            ExecArguments(name, ["sudo", "install", "-D", "-o", "root", "-g", "root", "-m", octalMode, staging, nodePath]),
            ExecArguments(name, ["rm", "-f", staging]),
        ];
    }

    /// <summary>A command string for places that need one (a Pulumi Command's <c>create</c>): every word quoted.</summary>
    public static string CommandLine(IReadOnlyList<string> arguments) => ShellQuote.Join([Program, .. arguments]);

    /// <summary>Where <see cref="InstallFileArguments"/> stages a file: unique per target path.</summary>
    public static string StagingPath(string nodePath)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(nodePath)))[..12];
        return $"/tmp/netlab-{hash}-{Path.GetFileName(nodePath)}";
    }

    /// <summary>Instance names: a letter, then letters, digits and '-' (so a name can never be read as an option like --all).</summary>
    private static string CheckName(string name) =>
        InstanceName().IsMatch(name) ? name
            : throw new ArgumentException($"'{name}' is not a valid Multipass instance name (a letter, then letters, digits and '-')", nameof(name));

    private static string CheckRemote(string path) =>
        path.StartsWith('/') ? path : throw new ArgumentException($"'{path}' must be an absolute path inside the VM", nameof(path));

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9-]{0,62}$")]
    private static partial Regex InstanceName();

    [GeneratedRegex("^0?[0-7]{3,4}$")]
    private static partial Regex OctalMode();
}
