using Provisioner.Host.Processes;
using Provisioner.Testing;

namespace Provisioner.Cni.Tests.Support;

/// <summary>
/// A private containerd for one test: its own root, state and socket under a temporary directory, running in a node
/// namespace, with /etc/cni/net.d and /opt/cni/bin replaced by test directories through bind mounts in a private mount
/// namespace (the host's stay untouched). The container is a static busybox rootfs (ctr run --rootfs, no image pull).
/// Dispose kills containerd and its shims (by the pids they recorded), deletes the namespace and the directory.
/// </summary>
public sealed class ContainerdLab : IDisposable
{
    /// <summary>
    /// Runs inside `unshare --mount --propagation private`. Every path arrives as an argument, never spliced into the text.
    /// $1 net.d  $2 bin  $3 node netns path  $4 work dir  $5 container id  $6 address to ping from inside.
    /// </summary>
    private const string Script = """
        set -eu
        mount --bind "$1" /etc/cni/net.d
        mount --bind "$2" /opt/cni/bin
        nsenter --net="$3" containerd --config "$4/config.toml" >"$4/containerd.log" 2>&1 &
        echo $! >"$4/containerd.pid"
        i=0
        while [ ! -S "$4/containerd.sock" ]; do
          i=$((i + 1)); [ "$i" -gt 300 ] && { echo "containerd did not start:" >&2; cat "$4/containerd.log" >&2; exit 1; }
          sleep 0.1
        done
        rc=0
        timeout 90 nsenter --net="$3" ctr --address "$4/containerd.sock" -n netlab run --rm --cni --env PATH=/bin \
          --rootfs "$4/rootfs" "$5" /bin/sh -c 'ip -4 addr show eth0; ip route; ping -c1 -W2 "$0"' "$6" || rc=$?
        kill "$(cat "$4/containerd.pid")" 2>/dev/null || true
        wait || true
        exit "$rc"
        """;

    private static readonly string[] HostDirectories = ["/etc/cni/net.d", "/opt/cni/bin"];
    private readonly TestNetns _netns = new();
    private readonly List<string> _createdHostDirectories = [];

    public ContainerdLab()
    {
        Node = _netns.Create("nlc-ctrd");
        Directory = System.IO.Directory.CreateTempSubdirectory("netlab-ctrd-").FullName;
        foreach (var sub in new[] { "net.d", "bin", "root", "state", "ipam", "rootfs/bin", "rootfs/proc", "rootfs/sys", "rootfs/dev", "rootfs/etc" })
            System.IO.Directory.CreateDirectory(Path.Combine(Directory, sub));
        File.Copy(PluginBinaries.NetlabCni, Path.Combine(Directory, "bin", "netlab-cni"));
        CopyBesideIfPresent(PluginBinaries.NetlabCni);
        File.Copy(Path.Combine(PluginBinaries.ReferenceDirectory, "loopback"), Path.Combine(Directory, "bin", "loopback"));
        File.Copy("/bin/busybox", Path.Combine(Directory, "rootfs", "bin", "busybox"));
        foreach (var applet in new[] { "sh", "ip", "ping" })
            File.CreateSymbolicLink(Path.Combine(Directory, "rootfs", "bin", applet), "busybox");
        File.WriteAllText(Path.Combine(Directory, "config.toml"), $"""
            version = 2
            root = "{Directory}/root"
            state = "{Directory}/state"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]
            [grpc]
              address = "{Directory}/containerd.sock"
            [ttrpc]
              address = "{Directory}/containerd.sock.ttrpc"
            """);
        foreach (var path in HostDirectories.Where(p => !System.IO.Directory.Exists(p)))
        {
            System.IO.Directory.CreateDirectory(path); // a mount point for the bind mount; removed again if still empty
            _createdHostDirectories.Add(path);
        }
    }

    public string Node { get; }

    public string Directory { get; }

    public string IpamDirectory => Path.Combine(Directory, "ipam");

    public string CniLog => Path.Combine(Directory, "cni.log");

    public void WriteConflist(string conflist) => File.WriteAllText(Path.Combine(Directory, "net.d", "10-netlab.conflist"), conflist);

    /// <summary>Starts containerd, runs one container that prints its address and routes and pings <paramref name="target"/>.</summary>
    public async Task<CommandResult> RunContainerAsync(string containerId, string target)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        return await ProcessRunner.Default.TryRunAsync("unshare",
            ["--mount", "--propagation", "private", "--", "sh", "-c", Script, "sh",
             Path.Combine(Directory, "net.d"), Path.Combine(Directory, "bin"), CniLab.PathOf(Node), Directory, containerId, target],
            cancellationToken: timeout.Token);
    }

    public string ContainerdLog => File.Exists(Path.Combine(Directory, "containerd.log")) ? File.ReadAllText(Path.Combine(Directory, "containerd.log")) : "";

    public void Dispose()
    {
        KillOurProcesses();
        _netns.Dispose();
        foreach (var path in _createdHostDirectories.AsEnumerable().Reverse())
        {
            if (System.IO.Directory.Exists(path) && !System.IO.Directory.EnumerateFileSystemEntries(path).Any())
                System.IO.Directory.Delete(path);
        }
        if (System.IO.Directory.Exists("/opt/cni") && _createdHostDirectories.Contains("/opt/cni/bin") && !System.IO.Directory.EnumerateFileSystemEntries("/opt/cni").Any())
            System.IO.Directory.Delete("/opt/cni");
        if (System.IO.Directory.Exists("/etc/cni") && _createdHostDirectories.Contains("/etc/cni/net.d") && !System.IO.Directory.EnumerateFileSystemEntries("/etc/cni").Any())
            System.IO.Directory.Delete("/etc/cni");
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>containerd (its recorded pid) and any shim or process whose command line names this lab's directory.</summary>
    private void KillOurProcesses()
    {
        var pids = new HashSet<int>();
        var pidFile = Path.Combine(Directory, "containerd.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var containerd))
            pids.Add(containerd);
        foreach (var proc in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out var pid) || pid == Environment.ProcessId)
                continue;
            try
            {
                if (File.ReadAllText(Path.Combine(proc, "cmdline")).Contains(Directory, StringComparison.Ordinal))
                    pids.Add(pid);
            }
            catch (IOException)
            {
            }
        }
        foreach (var pid in pids)
            _ = ProcessRunner.Default.TryRunAsync("kill", ["-9", pid.ToString()]).GetAwaiter().GetResult();
    }

    /// <summary>A framework-dependent apphost needs its .dll and json files beside it.</summary>
    private void CopyBesideIfPresent(string apphost)
    {
        foreach (var suffix in new[] { ".dll", ".deps.json", ".runtimeconfig.json" })
        {
            var source = apphost + suffix;
            if (File.Exists(source))
                File.Copy(source, Path.Combine(Directory, "bin", Path.GetFileName(source)));
        }
        if (!File.Exists(apphost + ".deps.json"))
            return;
        // And the projects it references (Provisioner.Host, Provisioner.Errors, ...), as its deps.json lists them.
        using var deps = System.Text.Json.JsonDocument.Parse(File.ReadAllText(apphost + ".deps.json"));
        foreach (var library in deps.RootElement.GetProperty("libraries").EnumerateObject())
        {
            if (library.Value.GetProperty("type").GetString() != "project")
                continue;
            var dll = Path.Combine(Path.GetDirectoryName(apphost)!, library.Name.Split('/')[0] + ".dll");
            var target = Path.Combine(Directory, "bin", Path.GetFileName(dll));
            if (File.Exists(dll) && !File.Exists(target))
                File.Copy(dll, target);
        }
    }
}
