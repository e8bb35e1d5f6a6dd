using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;

namespace Provisioner.VmLab.Tests.Support;

/// <summary>
/// Stand-in <c>multipass</c> and <c>kubectl</c> (shell scripts in a temporary folder, put first on PATH by CLI tests)
/// that replay recorded answers: each exact argument list has its stdout, stderr and exit code; any other call exits
/// 99 saying so. Every call is logged, so a test sees what was run.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class ReplayTools : IDisposable
{
    public const int Unrecorded = 99;

    public ReplayTools()
    {
        Directory.CreateDirectory(Replies);
        foreach (var program in new[] { "multipass", "kubectl" })
        {
            var path = Path.Combine(Folder, program);
            File.WriteAllText(path, $$"""
                #!/usr/bin/env bash
                key=$(printf '%s\n' "$(basename "$0")" "$@" | sha256sum | cut -c1-16)
                printf '%s\n' "$(basename "$0") $*" >> '{{Folder}}/calls'
                r='{{Replies}}'/$key
                if [ ! -f "$r.code" ]; then echo "no recorded reply for: $(basename "$0") $*" >&2; exit {{Unrecorded}}; fi
                [ -f "$r.out" ] && cat "$r.out"
                [ -f "$r.err" ] && cat "$r.err" >&2
                exit "$(cat "$r.code")"
                """.ReplaceLineEndings("\n"));
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "netlab-replay-" + Guid.NewGuid().ToString("N")[..8]);

    private string Replies => Path.Combine(Folder, "replies");

    public string Multipass => Path.Combine(Folder, "multipass");

    public string Kubectl => Path.Combine(Folder, "kubectl");

    public IReadOnlyList<string> Calls => File.Exists(Path.Combine(Folder, "calls")) ? File.ReadAllLines(Path.Combine(Folder, "calls")) : [];

    /// <summary>Records what <paramref name="program"/> answers to exactly <paramref name="arguments"/> (replacing an earlier answer).</summary>
    public void On(string program, IEnumerable<string> arguments, string stdout, string stderr = "", int exitCode = 0)
    {
        var text = string.Concat(new[] { program }.Concat(arguments).Select(a => a + "\n"));
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
        var reply = Path.Combine(Replies, key);
        File.WriteAllText(reply + ".out", stdout);
        File.WriteAllText(reply + ".err", stderr);
        File.WriteAllText(reply + ".code", exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
