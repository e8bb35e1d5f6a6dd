using System.Globalization;
using Provisioner.Fabric.Convergence;
using Provisioner.Host.Processes;
using Provisioner.Host.Iproute;

namespace Provisioner.Fabric.Ovs;

/// <summary>
/// A private Open vSwitch for one node namespace: an <c>ovsdb-server</c> and an <c>ovs-vswitchd</c> started inside the
/// namespace, with their database, sockets, pidfiles and logs in <see cref="Directory"/>. Used where the kernel has no
/// openvswitch module (bridges then use the userspace datapath, <c>datapath_type=netdev</c>). On VMs the system
/// service is used instead (<see cref="FabricTarget.Host"/>).
/// </summary>
public sealed class OvsInstance
{
    /// <summary>Where the Debian/Ubuntu package installs the Open_vSwitch schema.</summary>
    public const string DefaultSchema = "/usr/share/openvswitch/vswitch.ovsschema";

    private readonly ProcessRunner _runner;

    /// <param name="directory">Private db/run/log directory; keep it short (the socket path must fit 107 bytes).</param>
    public OvsInstance(string node, string netns, string directory, ProcessRunner? runner = null)
    {
        Node = node;
        Netns = netns;
        Directory = Path.GetFullPath(directory);
        _runner = runner ?? ProcessRunner.Default;
    }

    /// <summary>The conventional directory for a node namespace's instance: <c>/run/netlab/ovs/NETNS</c>.</summary>
    public static OvsInstance ForNetns(string node, string netns, ProcessRunner? runner = null) =>
        new(node, netns, Path.Combine("/run/netlab/ovs", netns), runner);

    public string Node { get; }
    public string Netns { get; }
    public string Directory { get; }
    public string Schema { get; init; } = DefaultSchema;

    /// <summary>The ovsdb-server socket path: <c>ovs-vsctl --db=unix:PATH</c>.</summary>
    public string DbSocket => Path.Combine(Directory, "db.sock");

    /// <summary>The OVSDB remote for clients such as the CNI's <c>ovsDb</c>: <c>unix:PATH</c>.</summary>
    public string OvsDb => $"unix:{DbSocket}";

    /// <summary>The converger's target for this node: its namespace, this database and this run directory.</summary>
    public FabricTarget Target => new() { Netns = Netns, OvsDbSocket = DbSocket, OvsRunDir = Directory };

    private string Pidfile(string daemon) => Path.Combine(Directory, $"{daemon}.pid");

    /// <summary>True when both daemons' pidfiles name live processes.</summary>
    public bool IsRunning => IsAlive("ovsdb-server") && IsAlive("ovs-vswitchd");

    /// <summary>Starts both daemons (idempotent: a running instance is left alone). Failures name the node and the daemon.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (IsRunning)
            return;
        await StopDaemonsAsync().ConfigureAwait(false);
        System.IO.Directory.CreateDirectory(Directory);
        var db = Path.Combine(Directory, "conf.db");
        if (!File.Exists(db))
            await StepAsync("create the OVS database", "ovsdb-tool", ["create", db, Schema], cancellationToken).ConfigureAwait(false);
        await StepAsync("start ovsdb-server", NetnsExec.Ip, NetnsExec.Arguments(Netns, "ovsdb-server", [db, $"--remote=punix:{DbSocket}", $"--unixctl={Path.Combine(Directory, "ovsdb-server.ctl")}", .. Daemon("ovsdb-server")]), cancellationToken).ConfigureAwait(false);
        await StepAsync("initialize the OVS database", "ovs-vsctl", [$"--db={OvsDb}", "--timeout=10", "--no-wait", "init"], cancellationToken).ConfigureAwait(false);
        await StepAsync("start ovs-vswitchd", NetnsExec.Ip, NetnsExec.Arguments(Netns, "ovs-vswitchd", [OvsDb, $"--unixctl={Path.Combine(Directory, "ovs-vswitchd.ctl")}", .. Daemon("ovs-vswitchd")]), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Kills both daemons and deletes the directory (bridges go with the database).</summary>
    public async Task StopAsync()
    {
        await StopDaemonsAsync().ConfigureAwait(false);
        if (System.IO.Directory.Exists(Directory))
            System.IO.Directory.Delete(Directory, recursive: true);
    }

    private string[] Daemon(string name) =>
    [
        $"--pidfile={Pidfile(name)}", $"--log-file={Path.Combine(Directory, name + ".log")}", "--detach", "-vconsole:off",
    ];

    /// <summary>ovs-vswitchd finds its rundir (bridge .mgmt sockets) and dbdir through these variables.</summary>
    private Dictionary<string, string?> Environment => new(StringComparer.Ordinal)
    {
        ["OVS_RUNDIR"] = Directory, ["OVS_DBDIR"] = Directory, ["OVS_LOGDIR"] = Directory, ["OVS_PKGDATADIR"] = Path.GetDirectoryName(Schema),
    };

    private async Task StepAsync(string step, string program, string[] args, CancellationToken ct)
    {
        try
        {
            await _runner.WithTimeout(TimeSpan.FromSeconds(30)).RunAsync(program, args, environment: Environment, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CommandFailedException or ToolMissingException)
        {
            throw new FabricException(Node, step, $"{e.Message}{LogTail(step)}", e);
        }
    }

    private string LogTail(string step)
    {
        var log = Path.Combine(Directory, (step.Contains("vswitchd", StringComparison.Ordinal) ? "ovs-vswitchd" : "ovsdb-server") + ".log");
        return File.Exists(log) ? $"{System.Environment.NewLine}last lines of {log}:{System.Environment.NewLine}" +
            string.Join(System.Environment.NewLine, File.ReadLines(log).TakeLast(5)) : "";
    }

    private async Task StopDaemonsAsync()
    {
        foreach (var daemon in new[] { "ovs-vswitchd", "ovsdb-server" })
        {
            if (ReadPid(daemon) is not { } pid || !IsAlive(daemon))
                continue;
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                process.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                continue; // exited on its own in the meantime
            }
            for (var i = 0; i < 50 && System.IO.Directory.Exists($"/proc/{pid}") && !IsZombie(pid); i++)
                await Task.Delay(100).ConfigureAwait(false);
        }
    }

    private int? ReadPid(string daemon) =>
        File.Exists(Pidfile(daemon)) && int.TryParse(File.ReadAllText(Pidfile(daemon)).Trim(), CultureInfo.InvariantCulture, out var pid) ? pid : null;

    private bool IsAlive(string daemon) => ReadPid(daemon) is { } pid && System.IO.Directory.Exists($"/proc/{pid}") && !IsZombie(pid);

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }
}
