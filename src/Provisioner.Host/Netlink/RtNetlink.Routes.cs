using System.Net;
using System.Net.Sockets;

namespace Provisioner.Host.Netlink;

public sealed partial class RtNetlink
{
    private const ushort RtaDst = 1;
    private const ushort RtaOif = 4;
    private const ushort RtaGateway = 5;
    private const ushort RtaTable = 15;
    private const byte ProtocolBoot = 3;
    private const byte ScopeUniverse = 0;
    private const byte ScopeLink = 253;
    private const byte TypeUnicast = 1;

    /// <summary>
    /// Adds an IPv4 route. With a gateway it is a universe-scope route via that gateway, without one a link-scope
    /// route out of <see cref="RouteInfo.OutputLinkIndex"/>. Throws EEXIST when the same route exists.
    /// </summary>
    public void AddRoute(RouteInfo route)
    {
        var destination = route.Destination ?? IPAddress.Any;
        if (destination.AddressFamily != AddressFamily.InterNetwork)
            throw new ArgumentException($"only IPv4 routes are supported, got {route}", nameof(route));
        var scope = route.Gateway is null ? ScopeLink : ScopeUniverse;
        var table = route.Table < 256 ? (byte)route.Table : (byte)0;
        var message = Message(RtmNewRoute, FlagAck | FlagCreate | FlagExclusive)
            .RtMsg(AfInet, (byte)route.DestinationLength, table, ProtocolBoot, scope, TypeUnicast)
            .Attribute(RtaTable, (uint)route.Table);
        if (route.DestinationLength > 0)
            message.Attribute(RtaDst, destination);
        if (route.Gateway is { } gateway)
            message.Attribute(RtaGateway, gateway);
        if (route.OutputLinkIndex is { } oif)
            message.Attribute(RtaOif, (uint)oif);
        Request(message, $"add route {route}");
    }

    /// <summary>The IPv4 routes of one table (the main table by default).</summary>
    public IReadOnlyList<RouteInfo> ListRoutes(int table = MainTable)
    {
        var result = new List<RouteInfo>();
        foreach (var reply in Request(Message(RtmGetRoute, FlagDump).RtMsg(AfInet, 0, 0, 0, 0, 0), "list routes"))
        {
            if (reply.Type != RtmNewRoute)
                continue;
            var header = reply.Payload.Span;
            var attributes = NetlinkAttributes.Parse(reply.Payload[12..]);
            var routeTable = (int)(attributes.UInt32(RtaTable) ?? header[4]);
            if (routeTable != table)
                continue;
            var oif = attributes.UInt32(RtaOif);
            result.Add(new RouteInfo(header[1] == 0 ? null : attributes.Address(RtaDst), header[1],
                attributes.Address(RtaGateway), oif is null ? null : (int)oif, routeTable));
        }
        return result;
    }
}
