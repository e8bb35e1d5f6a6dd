using System.Runtime.InteropServices;

namespace Provisioner.Observability;

/// <summary>Network namespace inode numbers (what the kernel and bpftrace see) to the names under /run/netns.</summary>
public static class NamespaceNames
{
    public static IReadOnlyDictionary<ulong, string> Load(string directory = "/run/netns")
    {
        var names = new Dictionary<ulong, string>();
        if (!Directory.Exists(directory))
            return names;
        foreach (var path in Directory.GetFiles(directory))
        {
            if (Inode(path) is { } inode)
                names[inode] = Path.GetFileName(path);
        }
        if (Inode("/proc/1/ns/net") is { } host)
            names.TryAdd(host, "host");
        return names;
    }

    /// <summary>The inode of a namespace file (stat follows the nsfs bind mount to the namespace itself).</summary>
    public static ulong? Inode(string path)
    {
        try
        {
            var target = File.ResolveLinkTarget(path, returnFinalTarget: false)?.Name;
            if (target is not null && target.StartsWith("net:[", StringComparison.Ordinal))
                return ulong.Parse(target[5..^1], System.Globalization.CultureInfo.InvariantCulture);
            return Stat(path);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static ulong? Stat(string path)
    {
        var result = Host.Processes.ProcessRunner.Default.TryRunAsync("stat", ["-L", "-c", "%i", path]).GetAwaiter().GetResult();
        return result.Succeeded && ulong.TryParse(result.StandardOutput.Trim(), out var inode) ? inode : null;
    }
}
