using System.Text.Json.Nodes;
using Provisioner.Host.Processes;
using Provisioner.Testing;

namespace Provisioner.Cni.Tests.Support;

/// <summary>
/// A node namespace (the plugin's "host" side), pod namespaces and an IPAM directory, all deleted on dispose.
/// Plugins run as a runtime runs them: <c>nsenter --net=&lt;node&gt; plugin</c>, CNI_* in the environment, config on
/// stdin, result on stdout; every run is bounded in time.
/// </summary>
public sealed class CniLab : IDisposable
{
    public const string Subnet = "10.77.0.0/24";
    public const string Gateway = "10.77.0.1";
    public const string Bridge = "nltest0";
    public const int Mtu = 1450;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(20);

    private readonly TestNetns _netns = new();

    public CniLab()
    {
        Node = _netns.Create("nlc-node");
        DataDir = Directory.CreateTempSubdirectory("netlab-cni-ipam-").FullName;
    }

    public TestNetns Namespaces => _netns;

    public string Node { get; }

    public string DataDir { get; }

    public string NetworkName { get; } = "conf";

    /// <summary>host-local and netlab-cni both keep allocations in dataDir/&lt;network name&gt;.</summary>
    public string AllocationDirectory => Path.Combine(DataDir, NetworkName);

    public string NewPod() => _netns.Create("nlc-pod");

    public static string PathOf(string netns) => "/run/netns/" + netns;

    /// <summary>The same network for both plugins: bridge with gateway, hairpin, MTU 1450, default route, one subnet.</summary>
    public JsonObject Config(Plugin plugin, string version = "1.0.0")
    {
        var ipam = new JsonObject
        {
            ["subnet"] = Subnet, ["gateway"] = Gateway, ["routes"] = new JsonArray(new JsonObject { ["dst"] = "0.0.0.0/0" }),
            ["dataDir"] = DataDir,
        };
        if (plugin == Plugin.Reference)
            ipam["type"] = "host-local";
        return new JsonObject
        {
            ["cniVersion"] = version, ["name"] = NetworkName, ["type"] = plugin == Plugin.NetlabCni ? "netlab-cni" : "bridge",
            ["bridge"] = Bridge, ["isGateway"] = true, ["hairpinMode"] = true, ["mtu"] = Mtu, ["ipam"] = ipam,
            ["dns"] = new JsonObject { ["nameservers"] = new JsonArray("10.96.0.10") },
        };
    }

    public PluginRun Run(Plugin plugin, string command, JsonNode config, string containerId, string? pod, string ifName = "eth0") =>
        RunAsync(plugin, command, config.ToJsonString(), Environment(command, containerId, pod, ifName)).GetAwaiter().GetResult();

    public static Dictionary<string, string?> Environment(string command, string containerId, string? pod, string ifName = "eth0") => new()
    {
        ["CNI_COMMAND"] = command, ["CNI_CONTAINERID"] = containerId, ["CNI_NETNS"] = pod is null ? null : PathOf(pod),
        ["CNI_IFNAME"] = ifName, ["CNI_PATH"] = PluginBinaries.ReferenceDirectory, ["CNI_ARGS"] = null,
    };

    /// <summary>Runs a plugin with exactly this stdin and environment (a null value unsets a variable).</summary>
    public async Task<PluginRun> RunAsync(Plugin plugin, string command, string stdin, Dictionary<string, string?> environment,
        TimeSpan? timeLimit = null, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(timeLimit ?? RunTimeout);
        environment["CNI_COMMAND"] = command;
        var result = await ProcessRunner.Default.TryRunAsync("nsenter", ["--net=" + PathOf(Node), PluginBinaries.For(plugin)],
            stdin, environment, cancellationToken: timeout.Token);
        return new PluginRun(result.ExitCode, result.StandardOutput, result.StandardError);
    }

    /// <summary>Runs a command in a namespace (ping, ip), bounded in time.</summary>
    public CommandResult Exec(string netns, params string[] command) => _netns.Exec(netns, command);

    /// <summary>The allocation files left in the IPAM directory (not the lock or last-reserved marker).</summary>
    public IReadOnlyList<string> AllocationFiles() =>
        Directory.Exists(AllocationDirectory)
            ? Directory.GetFiles(AllocationDirectory).Select(f => Path.GetFileName(f)).Where(n => n != "lock" && !n.StartsWith("last_reserved_ip", StringComparison.Ordinal)).ToList()
            : [];

    public void Dispose()
    {
        _netns.Dispose();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
