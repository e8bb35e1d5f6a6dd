using System.Net;
using System.Text.Json;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Fabric.Convergence.Items;
using Provisioner.Fabric.Model;
using Provisioner.Host.Iproute;
using static Provisioner.Fabric.Convergence.FabricCommand;

namespace Provisioner.Fabric.Convergence;

/// <summary>
/// Reads what a node has of the fabric, as items: netlab's devices and their addresses and MTUs, routes inside the pod
/// range (other than connected ones), the VXLAN device's FDB and neighbours, and, for ovs-vxlan, netlab's OVS bridges,
/// ports and cookie-tagged flows. Anything else on the node (pods' ports, other routes) is not the fabric's.
/// </summary>
internal sealed class FabricObserver(NodeShell shell)
{
    private static readonly string[] OwnDevices = [FabricNames.Bridge, FabricNames.VxlanDevice];

    /// <summary>One <c>ip -j -batch</c> for links, routes, neighbours and netconf; one <c>bridge fdb</c> if the VXLAN device exists; OVS.</summary>
    public async Task<List<FabricItem>> ObserveAsync(NodeFabric f, CancellationToken ct)
    {
        var items = new List<FabricItem>();
        var ipState = await shell.CaptureAsync(
            new FabricCommand("ip", ["-j", "-d", "-batch", "-"], InNetns: true) { Stdin = "address show\nroute show\nneigh show\nnetconf show\n" }, ct)
            .ConfigureAwait(false);
        var documents = JsonValues(ipState);
        try
        {
            if (documents.Count != 4)
                throw new FormatException($"expected 4 JSON documents from ip -batch, got {documents.Count}");
            var linkNames = ObserveLinks(f, documents[0].RootElement, items);
            ObserveRoutes(f, documents[1].RootElement, items);
            if (documents[3].RootElement.EnumerateArray().Any(c => c.GetProperty("family").GetString() == "inet"
                && c.GetProperty("interface").GetString() == "all" && c.GetProperty("forwarding").GetBoolean()))
                items.Add(new ForwardingItem());
            if (linkNames.Contains(FabricNames.VxlanDevice))
            {
                ObserveNeighbours(documents[2].RootElement, items);
                using var fdb = JsonDocument.Parse(await shell.CaptureAsync(Bridge("-j", "fdb", "show", "dev", FabricNames.VxlanDevice), ct).ConfigureAwait(false));
                foreach (var e in fdb.RootElement.EnumerateArray())
                {
                    if (e.TryGetProperty("dst", out var dst))
                        items.Add(new FdbItem(FabricNames.VxlanDevice, e.GetProperty("mac").GetString()!, dst.GetString()!));
                }
            }
        }
        finally
        {
            documents.ForEach(d => d.Dispose());
        }

        if (f.Kind == FabricKind.OvsVxlan)
            items.AddRange(await new OvsObserver(shell).ObserveAsync(f, ct).ConfigureAwait(false));
        return items;
    }

    private static void ObserveNeighbours(JsonElement neighbours, List<FabricItem> items)
    {
        foreach (var n in neighbours.EnumerateArray())
        {
            if (n.GetProperty("dev").GetString() == FabricNames.VxlanDevice && Has(n, "state", "PERMANENT") && n.TryGetProperty("lladdr", out var mac))
                items.Add(new NeighbourItem(FabricNames.VxlanDevice, n.GetProperty("dst").GetString()!, mac.GetString()!));
        }
    }

    /// <summary>Reads the JSON values <c>ip -j -batch</c> prints one after another.</summary>
    private static List<JsonDocument> JsonValues(string text)
    {
        var documents = new List<JsonDocument>();
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(text), new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
            documents.Add(JsonDocument.ParseValue(ref reader));
        return documents;
    }

    private static HashSet<string> ObserveLinks(NodeFabric f, JsonElement links, List<FabricItem> items)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var link in IpAddrJson.Parse(links))
        {
            var (name, kind, mtu) = (link.Name, link.Kind, link.Mtu);
            names.Add(name);
            if (name == FabricNames.Bridge && kind == "bridge")
                items.AddRange([new LinuxBridgeItem(name), new MtuItem(name, mtu)]);
            if (name == FabricNames.VxlanDevice && kind == "vxlan" && link.KindData is { } data)
            {
                items.Add(new VxlanDeviceItem(name, data.GetProperty("id").GetInt32(),
                    data.TryGetProperty("local", out var local) ? local.GetString()! : "", data.GetProperty("port").GetInt32(),
                    link.HardwareAddress!));
                items.Add(new MtuItem(name, mtu));
            }
            foreach (var cidr in link.Ipv4.Select(a => a.Cidr))
            {
                if (OwnDevices.Contains(name))
                    items.Add(new AddressItem(name, cidr));
                else if (name == FabricNames.UnderlayBridge)
                    items.Add(new UnderlayAddressItem(f.UnderlayInterface ?? "", name, cidr));
            }
        }
        return names;
    }

    /// <summary>Routes into the pod range that the kernel did not make itself (connected subnets) are the fabric's.</summary>
    private static void ObserveRoutes(NodeFabric f, JsonElement routes, List<FabricItem> items)
    {
        var podCidr = Cidr.Parse(f.PodCidr);
        foreach (var r in routes.EnumerateArray())
        {
            var dst = r.GetProperty("dst").GetString()!;
            if (dst == "default" || Has(r, "protocol", "kernel") || !r.TryGetProperty("gateway", out var via))
                continue;
            var network = dst.Contains('/', StringComparison.Ordinal) ? IPNetwork2.Parse(dst) : IPNetwork2.Parse(dst, 32);
            if (!podCidr.Contains(network))
                continue;
            var onlink = Has(r, "flags", "onlink");
            items.Add(new RouteItem(network.ToString(), via.GetString()!, onlink ? r.GetProperty("dev").GetString() : null));
        }
    }

    /// <summary>A string property equal to <paramref name="value"/>, or an array property containing it.</summary>
    private static bool Has(JsonElement e, string property, string value) =>
        e.TryGetProperty(property, out var p) && (p.ValueKind == JsonValueKind.Array
            ? p.EnumerateArray().Any(x => x.GetString() == value)
            : p.ValueKind == JsonValueKind.String && p.GetString() == value);
}
