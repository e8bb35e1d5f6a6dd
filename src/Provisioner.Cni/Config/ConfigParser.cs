using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Provisioner.Cni.Skel;

namespace Provisioner.Cni.Config;

/// <summary>Turns stdin into a <see cref="PluginConfig"/>, or the spec error that says what to fix.</summary>
internal static class ConfigParser
{
    public static NetConfJson Decode(ReadOnlySpan<byte> stdin)
    {
        if (stdin.Trim(" \t\r\n"u8).IsEmpty)
            throw new CniException(CniErrorCode.DecodeFailure, "no network configuration on stdin; the runtime must pipe the plugin's JSON config to it");
        try
        {
            return JsonSerializer.Deserialize(stdin, CniJsonContext.Default.NetConfJson)
                ?? throw new CniException(CniErrorCode.DecodeFailure, "the network configuration on stdin is JSON null; pass a JSON object");
        }
        catch (JsonException e)
        {
            var where = e.Path is null ? "" : $" at {e.Path}" + (e.LineNumber is { } line ? $" (line {line + 1})" : "");
            throw new CniException(CniErrorCode.DecodeFailure, $"the network configuration on stdin cannot be decoded{where}: {FirstSentence(e.Message)}");
        }
    }

    /// <summary>The config's cniVersion, checked against the versions netlab-cni supports (error 1 otherwise).</summary>
    public static string Version(NetConfJson json)
    {
        if (string.IsNullOrEmpty(json.CniVersion))
            throw new CniException(CniErrorCode.IncompatibleVersion, $"cniVersion is missing; set it to one of {string.Join(", ", CniVersions.Supported)}");
        if (!CniVersions.IsSupported(json.CniVersion))
            throw new CniException(CniErrorCode.IncompatibleVersion,
                $"incompatible CNI versions: config is \"{json.CniVersion}\", netlab-cni supports {string.Join(", ", CniVersions.Supported)}");
        return json.CniVersion;
    }

    public static PluginConfig Validate(NetConfJson json)
    {
        var version = Version(json);
        if (string.IsNullOrWhiteSpace(json.Name))
            throw Invalid("name is missing; set the network name, e.g. \"netlab\"");
        var mode = json.Mode switch
        {
            null or "bridge" => AttachMode.Bridge,
            "ovs" => AttachMode.Ovs,
            _ => throw Invalid($"mode \"{json.Mode}\" is unknown; use \"bridge\" (Linux bridge) or \"ovs\" (port on an OVS bridge)"),
        };
        var datapath = json.Datapath switch
        {
            null or "system" => OvsDatapath.System,
            "netdev" => OvsDatapath.Netdev,
            _ => throw Invalid($"datapath \"{json.Datapath}\" is unknown; use \"system\" (kernel OVS) or \"netdev\" (userspace OVS)"),
        };
        var bridge = json.Bridge ?? PluginConfig.DefaultBridge;
        if (bridge.Length is 0 or > 15 || bridge.Any(c => c is '/' or ':' || char.IsWhiteSpace(c)))
            throw Invalid($"bridge \"{bridge}\" is not a valid interface name: 1 to 15 characters, no '/', ':' or whitespace");
        if (json.Mtu is { } mtu && mtu is < 68 or > 65535)
            throw Invalid($"mtu {mtu} is out of range; use 68 to 65535 (1450 leaves room for VXLAN on a 1500 network)");
        return new PluginConfig
        {
            CniVersion = version,
            NetworkName = json.Name,
            Mode = mode,
            Bridge = bridge,
            IsGateway = json.IsGateway ?? false,
            HairpinMode = json.HairpinMode ?? false,
            Mtu = json.Mtu ?? PluginConfig.DefaultMtu,
            OvsDb = string.IsNullOrEmpty(json.OvsDb) ? null : json.OvsDb,
            Datapath = datapath,
            LogFile = string.IsNullOrEmpty(json.LogFile) ? null : json.LogFile,
            Ipam = ValidateIpam(json.Ipam),
            Dns = json.Dns,
            PrevResult = json.PrevResult,
            ValidAttachments = json.ValidAttachments?.Select(a => (a.ContainerId ?? "", a.Ifname ?? "")).ToList(),
        };
    }

    private static IpamConfig ValidateIpam(IpamJson? ipam)
    {
        if (ipam is null)
            throw Invalid("ipam is missing; add \"ipam\": { \"subnet\": \"10.244.1.0/24\" } (netlab-cni allocates addresses itself)");
        if (ipam.Type is { Length: > 0 } type && type != "netlab-cni")
            throw new CniException(CniErrorCode.UnsupportedField,
                $"ipam.type \"{type}\" is not supported: netlab-cni has its own host-local-style IPAM; remove ipam.type");
        if (ipam.Ranges is not null)
            throw new CniException(CniErrorCode.UnsupportedField,
                "ipam.ranges is not supported; describe the one range with ipam.subnet, rangeStart and rangeEnd");
        if (string.IsNullOrEmpty(ipam.Subnet))
            throw Invalid("ipam.subnet is missing; set the node's pod subnet, e.g. \"10.244.1.0/24\"");
        if (!IPNetwork.TryParse(ipam.Subnet, out var subnet) || subnet.BaseAddress.AddressFamily != AddressFamily.InterNetwork
            || ipam.Subnet.Split('/')[0] != subnet.BaseAddress.ToString())
            throw Invalid($"ipam.subnet \"{ipam.Subnet}\" is not an IPv4 CIDR with the host bits zero, e.g. \"10.244.1.0/24\"");
        if (subnet.PrefixLength > 30)
            throw Invalid($"ipam.subnet {subnet} is too small: a /30 or larger leaves room for a gateway and a pod");

        var first = Ipv4.Add(subnet.BaseAddress, 1);
        var last = Ipv4.Add(Ipv4.Broadcast(subnet), -1);
        var gateway = Address(ipam.Gateway, "ipam.gateway", subnet) ?? first;
        var start = Address(ipam.RangeStart, "ipam.rangeStart", subnet) ?? first;
        var end = Address(ipam.RangeEnd, "ipam.rangeEnd", subnet) ?? last;
        if (Ipv4.ToUInt(start) > Ipv4.ToUInt(end))
            throw Invalid($"ipam.rangeStart {start} is after ipam.rangeEnd {end}; swap them");
        var reserved = new HashSet<IPAddress>();
        foreach (var text in ipam.Reserved ?? [])
            reserved.Add(Address(text, "ipam.reserved", subnet)!);
        var routes = new List<IpamRoute>();
        foreach (var route in ipam.Routes ?? [])
        {
            if (route.Dst is null || !IPNetwork.TryParse(route.Dst, out var destination) || destination.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
                throw Invalid($"ipam.routes: dst \"{route.Dst}\" is not an IPv4 CIDR, e.g. \"0.0.0.0/0\"");
            IPAddress? via = null;
            if (route.Gw is not null && (!IPAddress.TryParse(route.Gw, out via) || !subnet.Contains(via)))
                throw Invalid($"ipam.routes: gw \"{route.Gw}\" for {route.Dst} must be an address inside {subnet}");
            routes.Add(new IpamRoute(destination, via));
        }
        var dataDir = string.IsNullOrEmpty(ipam.DataDir) ? PluginConfig.DefaultDataDir : ipam.DataDir;
        if (!Path.IsPathRooted(dataDir))
            throw Invalid($"ipam.dataDir \"{dataDir}\" must be an absolute path, e.g. /var/lib/cni/networks");
        return new IpamConfig(subnet, gateway, start, end, reserved, routes, dataDir);
    }

    private static IPAddress? Address(string? text, string field, IPNetwork subnet)
    {
        if (string.IsNullOrEmpty(text))
            return null;
        if (!IPAddress.TryParse(text, out var address) || address.AddressFamily != AddressFamily.InterNetwork)
            throw Invalid($"{field} \"{text}\" is not an IPv4 address");
        if (!subnet.Contains(address) || address.Equals(subnet.BaseAddress) || address.Equals(Ipv4.Broadcast(subnet)))
            throw Invalid($"{field} {address} is outside ipam.subnet {subnet} (or is its network or broadcast address); pick a host address inside it");
        return address;
    }

    private static CniException Invalid(string message) => new(CniErrorCode.InvalidNetworkConfig, message);

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
