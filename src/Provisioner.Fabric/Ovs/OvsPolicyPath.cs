using System.Globalization;
using Provisioner.Host.Iproute;
using Provisioner.Host.Processes;

namespace Provisioner.Fabric.Ovs;

/// <summary>
/// On the OVS fabric, pods of one node are switched by the bridge's NORMAL flow and never meet the node's netfilter.
/// With NetworkPolicies in the stack, two flows of netlab's policy cookie send that traffic through the node instead:
/// IP to the node's pod subnet that enters from a pod is rewritten to the gateway's MAC and handed to LOCAL, the
/// node routes it back out of netlab0 (through the forward hook and its policy rules, with conntrack), and what
/// LOCAL sends is switched as before. ICMP redirects are turned off on the node, or a pod would be told to go direct.
/// See docs/network-policy.md for why this rather than OpenFlow ct() rules. <paramref name="netns"/> is the node's
/// namespace in the netns lab, null on a VM (the host is the node); <paramref name="ovsRunDirectory"/> holds the bridge's
/// <c>netlab0.mgmt</c> socket (the lab's per-node directory; <c>/var/run/openvswitch</c> on a VM). The netns lab's
/// policy layer and netlab-proxy's policy controller both use it.
/// </summary>
public sealed class OvsPolicyPath(string? netns, string ovsRunDirectory, string podSubnet, ProcessRunner run)
{
    /// <summary>Where a VM's ovs-vswitchd keeps its bridges' management sockets.</summary>
    public const string SystemRunDirectory = "/var/run/openvswitch";

    public const string Bridge = "netlab0";
    public const ulong CookieTag = 0x706f6c0000000000; // "pol": not the fabric's tag, so its converger leaves these alone
    private const string CookieMatch = "cookie=0x706f6c0000000000/0xffffff0000000000";

    private string Socket => $"unix:{Path.Combine(ovsRunDirectory, Bridge)}.mgmt";

    public static string Hex(ulong cookie) => "0x" + cookie.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>The flows in ovs-ofctl syntax (what dump-flows prints after the cookie).</summary>
    public IReadOnlyList<string> Flows(string gatewayMac) =>
    [
        $"priority=60,ip,in_port=LOCAL actions=NORMAL",
        $"priority=50,ip,nw_dst={podSubnet} actions=mod_dl_dst:{gatewayMac},LOCAL",
    ];

    public async Task<string> GatewayMacAsync(CancellationToken ct) =>
        (await InNodeAsync("cat", [$"/sys/class/net/{Bridge}/address"], ct).ConfigureAwait(false)).StandardOutput.Trim(); // ip netns exec mounts the namespace's own /sys

    /// <summary>What is missing or extra compared with <paramref name="wanted"/> (true: the flows; false: none), one line each.</summary>
    public async Task<IReadOnlyList<string>> DriftAsync(bool wanted, CancellationToken ct)
    {
        var dump = await run.RunAsync("ovs-ofctl", ["dump-flows", Socket, CookieMatch, "--no-stats"], cancellationToken: ct).ConfigureAwait(false);
        var have = dump.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith("cookie=", StringComparison.Ordinal)).Select(l => l[(l.IndexOf(' ', StringComparison.Ordinal) + 1)..]).ToList();
        var desired = wanted ? Flows(await GatewayMacAsync(ct).ConfigureAwait(false)) : [];
        var sysctls = wanted ? await RedirectsOnAsync(ct).ConfigureAwait(false) : [];
        return [.. desired.Except(have).Select(f => "+ flow " + f), .. have.Except(desired).Select(f => "- flow " + f), .. sysctls.Select(s => $"+ sysctl {s}=0")];
    }

    public async Task ApplyAsync(bool wanted, CancellationToken ct)
    {
        await run.RunAsync("ovs-ofctl", ["del-flows", Socket, CookieMatch], cancellationToken: ct).ConfigureAwait(false);
        if (!wanted)
            return;
        foreach (var sysctl in await RedirectsOnAsync(ct).ConfigureAwait(false))
            await InNodeAsync("sysctl", ["-qw", sysctl + "=0"], ct).ConfigureAwait(false);
        var flows = Flows(await GatewayMacAsync(ct).ConfigureAwait(false));
        for (var i = 0; i < flows.Count; i++)
            await run.RunAsync("ovs-ofctl", ["add-flow", Socket, $"cookie={Hex(CookieTag + (ulong)i + 1)},{flows[i].Replace(" actions=", ",actions=", StringComparison.Ordinal)}"],
                cancellationToken: ct).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<string>> RedirectsOnAsync(CancellationToken ct)
    {
        var on = new List<string>();
        foreach (var key in new[] { "net.ipv4.conf.all.send_redirects", $"net.ipv4.conf.{Bridge}.send_redirects" })
        {
            var value = await InNodeAsync("sysctl", ["-n", key], ct).ConfigureAwait(false);
            if (value.StandardOutput.Trim() != "0")
                on.Add(key);
        }
        return on;
    }

    private Task<CommandResult> InNodeAsync(string program, string[] arguments, CancellationToken ct)
    {
        var (file, argv) = NetnsExec.Wrap(netns, program, arguments);
        return run.RunAsync(file, argv, cancellationToken: ct);
    }
}
