using Provisioner.Host.Processes;

namespace Provisioner.Cni.Tests.Support;

/// <summary>
/// A private Open vSwitch for one test: its own ovsdb-server (socket under a temporary directory) and an ovs-vswitchd
/// running in the lab's node namespace with the userspace datapath (no kernel module needed), plus one netdev bridge,
/// as the node fabric would make it. Dispose stops both daemons by their pid files.
/// </summary>
public sealed class OvsLab : IDisposable
{
    private const string Schema = "/usr/share/openvswitch/vswitch.ovsschema";
    private readonly ProcessRunner _run = ProcessRunner.Default;

    public OvsLab(CniLab lab, string bridge)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("netlab-ovs-").FullName;
        Bridge = bridge;
        var environment = new Dictionary<string, string?> { ["OVS_RUNDIR"] = Directory, ["OVS_LOGDIR"] = Directory, ["OVS_DBDIR"] = Directory };
        Run("ovsdb-tool", ["create", Path.Combine(Directory, "conf.db"), Schema], environment);
        Run("ovsdb-server", [Path.Combine(Directory, "conf.db"), "--remote=punix:" + Socket, "--pidfile=" + Pid("ovsdb"), "--detach",
            "--log-file=" + Path.Combine(Directory, "ovsdb.log"), "--unixctl=" + Path.Combine(Directory, "ovsdb.ctl")], environment);
        Run("ovs-vsctl", ["--db=" + Endpoint, "--no-wait", "init"], environment);
        Run("nsenter", ["--net=" + CniLab.PathOf(lab.Node), "ovs-vswitchd", Endpoint, "--pidfile=" + Pid("vswitchd"), "--detach",
            "--log-file=" + Path.Combine(Directory, "vswitchd.log"), "--unixctl=" + Path.Combine(Directory, "vswitchd.ctl")], environment);
        Run("timeout", ["20", "ovs-vsctl", "--db=" + Endpoint, "add-br", bridge, "--", "set", "bridge", bridge, "datapath_type=netdev"], environment);
    }

    public string Directory { get; }

    public string Bridge { get; }

    public string Socket => Path.Combine(Directory, "db.sock");

    public string Endpoint => "unix:" + Socket;

    /// <summary>The port names on the bridge, as ovsdb has them.</summary>
    public IReadOnlyList<string> Ports() =>
        _run.RunAsync("ovs-vsctl", ["--db=" + Endpoint, "list-ports", Bridge]).GetAwaiter().GetResult().StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public void Dispose()
    {
        foreach (var daemon in new[] { "vswitchd", "ovsdb" })
        {
            if (File.Exists(Pid(daemon)) && int.TryParse(File.ReadAllText(Pid(daemon)).Trim(), out var pid))
                _ = _run.TryRunAsync("kill", ["-9", pid.ToString()]).GetAwaiter().GetResult();
        }
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string Pid(string daemon) => Path.Combine(Directory, daemon + ".pid");

    private void Run(string program, string[] arguments, Dictionary<string, string?> environment)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        _run.RunAsync(program, arguments, environment: environment, cancellationToken: timeout.Token).GetAwaiter().GetResult();
    }
}
