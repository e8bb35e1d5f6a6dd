using System.Security.Cryptography;
using System.Text;

namespace Provisioner.Deploy;

/// <summary>
/// A hash of everything netlab's binaries are built from (sources, templates, build settings): the build step's
/// trigger, so the binaries are rebuilt (and re-installed on the nodes) exactly when one of those changes.
/// </summary>
public static class SourceFingerprint
{
    private static readonly string[] Roots = ["src", "templates"];
    private static readonly string[] Files = ["Directory.Build.props", "Directory.Packages.props", "global.json", "scripts/build.sh"];
    private static readonly string[] SkippedDirectories = ["bin", "obj"];

    public static string Compute(string projectRoot)
    {
        var files = Roots.Select(r => Path.Combine(projectRoot, r)).Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .Concat(Files.Select(f => Path.Combine(projectRoot, f)).Where(File.Exists))
            .Select(f => Path.GetRelativePath(projectRoot, f).Replace('\\', '/'))
            .Where(f => !f.Split('/').Any(part => SkippedDirectories.Contains(part)))
            .Order(StringComparer.Ordinal);

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(file + "\n"));
            hash.AppendData(SHA256.HashData(File.ReadAllBytes(Path.Combine(projectRoot, file))));
        }
        return "src-" + Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    /// <summary>The directory holding <c>Pulumi.yaml</c>, searched upwards from <paramref name="start"/>.</summary>
    public static string FindProjectRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pulumi.yaml")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"no Pulumi.yaml in {start} or above it. Fix: run from the netlab repository");
    }
}
