using System.Runtime.Versioning;

namespace Provisioner.Multipass.Tests;

/// <summary>
/// A stand-in <c>multipass</c> (a shell script in a temporary folder) that records its arguments and stdin and answers
/// like Multipass does: the fixtures for <c>info</c>, "does not exist" with exit code 2 for unknown VMs.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class FakeMultipass : IDisposable
{
    public FakeMultipass()
    {
        Directory.CreateDirectory(Folder);
        var fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures");
        File.WriteAllText(Program, $$"""
            #!/usr/bin/env bash
            printf '%s\n' "$*" >> '{{Folder}}/calls'
            case "$1 $2" in
              "info dev-cp1") cat '{{fixtures}}/info-running.json' ;;
              "info dev-worker1") cat '{{fixtures}}/info-stopped.json' ;;
              "info "*|"delete --purge") printf 'info failed: The following errors occurred:\ninstance "%s" does not exist\n' "${@: -1}" >&2; exit 2 ;;
              "exec dev-cp1") cat > '{{Folder}}/stdin'; echo "ran: ${*:4}" ;;
              "launch 24.04") echo 'launch failed: instance name "dev-cp1" is already in use' >&2; exit 2 ;;
              *) exit 0 ;;
            esac
            """.ReplaceLineEndings("\n"));
        File.SetUnixFileMode(Program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "netlab-fake-multipass-" + Guid.NewGuid().ToString("N")[..8]);

    public string Program => Path.Combine(Folder, "multipass");

    public IReadOnlyList<string> Calls => File.Exists(Path.Combine(Folder, "calls")) ? File.ReadAllLines(Path.Combine(Folder, "calls")) : [];

    public string Stdin => File.ReadAllText(Path.Combine(Folder, "stdin"));

    public MultipassDriver Driver() => new(program: Program);

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
