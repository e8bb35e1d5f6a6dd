using Provisioner.Core.Model;
using Provisioner.Host.Processes;
using Provisioner.Errors;

namespace Provisioner.Netns;

/// <summary>A netns lab cannot start here: not root, or a program missing; the message says how to fix it.</summary>
public sealed class PreflightException : NetlabException
{
    public PreflightException() { }

    public PreflightException(string message) : base(message) { }

    public PreflightException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>Checks, before anything is created, that this host can run the lab.</summary>
public static class Preflight
{
    public static void Check(LabConfig lab, NetnsOptions options)
    {
        var problems = new List<string>();
        if (Environment.UserName != "root")
            problems.Add("netlab creates network namespaces, links and rules, which needs root: run it with sudo");
        var tools = new List<string> { "ip", "nsenter", "setsid", "sysctl", "dnsmasq", "dig" };
        tools.AddRange(lab.Network.ServiceRules == RuleBackend.Nftables ? ["nft"] : (string[])["iptables-nft-restore", "iptables-nft-save"]);
        if (lab.Network.Fabric == FabricKind.OvsVxlan)
            tools.AddRange(["ovs-vsctl", "ovs-ofctl", "ovsdb-server", "ovs-vswitchd", "ovsdb-tool"]);
        if (lab.Network.Fabric != FabricKind.Routed)
            tools.Add("bridge");
        var missing = tools.Where(t => !OnPath(t)).ToList();
        if (missing.Count > 0)
        {
            var packages = missing.Select(ProcessRunner.PackageFor).Distinct(StringComparer.Ordinal);
            problems.Add($"missing programs: {string.Join(", ", missing)}. Fix: apt-get install {string.Join(' ', packages)}");
        }
        var plugin = Path.Combine(options.CniPluginDirectory, "netlab-cni");
        if (!File.Exists(plugin))
            problems.Add($"the CNI plugin {plugin} is missing. Fix: scripts/build.sh (it puts netlab-cni next to netlab in out/bin)");
        if (problems.Count > 0)
            throw new PreflightException(string.Join(Environment.NewLine, problems));
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':')
            .Append("/usr/sbin").Append("/sbin")
            .Any(dir => File.Exists(Path.Combine(dir, program)));
}
