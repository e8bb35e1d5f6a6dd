using System.Globalization;
using System.Text.Json;
using Provisioner.Fabric.Convergence.Items;
using Provisioner.Fabric.Model;
using static Provisioner.Fabric.Convergence.FabricCommand;

namespace Provisioner.Fabric.Convergence;

/// <summary>
/// Reads netlab's OVS bridges, ports, tunnels and flows: one <c>ovs-vsctl -f json list</c> of the Bridge, Port and
/// Interface tables, and one <c>ovs-ofctl dump-flows</c> filtered on netlab's cookie tag.
/// </summary>
internal sealed class OvsObserver(NodeShell shell)
{
    public async Task<List<FabricItem>> ObserveAsync(NodeFabric f, CancellationToken ct)
    {
        var target = shell.Target;
        var output = await shell.CaptureAsync(Vsctl(target, "-f", "json",
            "--columns=name,datapath_type,fail_mode,ports", "list", "Bridge", "--",
            "--columns=_uuid,name", "list", "Port", "--",
            "--columns=name,type,options,mtu_request", "list", "Interface"), ct).ConfigureAwait(false);
        var tables = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        using var bridges = JsonDocument.Parse(tables[0]);
        using var ports = JsonDocument.Parse(tables[1]);
        using var interfaces = JsonDocument.Parse(tables[2]);

        var portNames = Rows(ports).ToDictionary(r => Atoms(r[0]).Single(), r => r[1].GetString()!, StringComparer.Ordinal);
        var ifaces = Rows(interfaces).ToDictionary(r => r[0].GetString()!, r => r, StringComparer.Ordinal);
        var items = new List<FabricItem>();
        var hasBridge = false;
        foreach (var row in Rows(bridges))
        {
            var name = row[0].GetString()!;
            if (name is not (FabricNames.Bridge or FabricNames.UnderlayBridge))
                continue;
            var datapath = row[1].GetString() is { Length: > 0 } d ? d : "system";
            items.Add(new OvsBridgeItem(name, datapath, Atoms(row[2]).Contains("secure")));
            hasBridge |= name == FabricNames.Bridge;
            foreach (var port in Atoms(row[3]).Select(uuid => portNames[uuid]).Where(p => p != name))
            {
                var iface = ifaces[port];
                if (name == FabricNames.UnderlayBridge)
                    items.Add(new OvsPortItem(name, port));
                else if (iface[1].GetString() == "vxlan")
                    items.Add(Tunnel(name, port, Map(iface[2])));
            }
            if (name == FabricNames.Bridge && Atoms(ifaces[name][3]).FirstOrDefault() is { } mtu)
                items.Add(new OvsMtuItem(name, int.Parse(mtu, CultureInfo.InvariantCulture)));
        }
        if (hasBridge)
            items.AddRange(await FlowsAsync(FabricNames.Bridge, ct).ConfigureAwait(false));
        return items;
    }

    private async Task<IEnumerable<FabricItem>> FlowsAsync(string bridge, CancellationToken ct)
    {
        var dump = await shell.CaptureAsync(Ofctl(shell.Target, "dump-flows", bridge, "--no-stats", "--names"), ct).ConfigureAwait(false);
        var flows = new List<FabricItem>();
        foreach (var line in dump.Split('\n', StringSplitOptions.TrimEntries))
        {
            if (!line.StartsWith("cookie=0x", StringComparison.Ordinal))
                continue;
            var comma = line.IndexOf(',', StringComparison.Ordinal);
            var cookie = ulong.Parse(line.AsSpan(9, comma - 9), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if ((cookie & FabricNames.FlowCookieMask) == FabricNames.FlowCookieTag)
                flows.Add(new FlowItem(bridge, cookie, line[(comma + 1)..].Trim()));
        }
        return flows;
    }

    private static OvsTunnelItem Tunnel(string bridge, string port, Dictionary<string, string> options) =>
        new(bridge, port, options.GetValueOrDefault("remote_ip", ""),
            int.TryParse(options.GetValueOrDefault("key"), CultureInfo.InvariantCulture, out var key) ? key : -1,
            int.TryParse(options.GetValueOrDefault("dst_port"), CultureInfo.InvariantCulture, out var dstPort) ? dstPort : FabricNames.VxlanUdpPort);

    private static IEnumerable<JsonElement[]> Rows(JsonDocument table) =>
        table.RootElement.GetProperty("data").EnumerateArray().Select(r => r.EnumerateArray().ToArray());

    /// <summary>OVSDB JSON: an atom, <c>["uuid", id]</c>, or <c>["set", [atoms]]</c>; returns the atoms as text.</summary>
    private static List<string> Atoms(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
            return [value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()];
        var tag = value[0].GetString();
        return tag == "set" ? [.. value[1].EnumerateArray().SelectMany(Atoms)] : [value[1].GetString()!];
    }

    /// <summary>OVSDB JSON map: <c>["map", [[key, value], ...]]</c>.</summary>
    private static Dictionary<string, string> Map(JsonElement value) =>
        value[1].EnumerateArray().ToDictionary(p => p[0].GetString()!, p => p[1].GetString()!, StringComparer.Ordinal);
}
