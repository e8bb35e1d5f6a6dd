using System.Buffers.Binary;

namespace Provisioner.Host.Netlink;

/// <summary>
/// A small rtnetlink client: links (veth, bridge), addresses, routes and bridge-port settings, talking to the
/// kernel directly instead of running <c>ip</c>. Every call acts in the network namespace the client was opened in
/// (see <see cref="Namespaces.NetworkNamespace.OpenNetlink"/> for another namespace). Not thread-safe; dispose it.
/// Errors are <see cref="NetlinkException"/> carrying the errno and the kernel's explanation.
/// </summary>
public sealed partial class RtNetlink : IDisposable
{
    public const int MainTable = 254;

    internal const byte AfUnspec = 0;
    internal const byte AfInet = 2;
    internal const byte AfBridge = 7;

    internal const ushort RtmNewLink = 16;
    internal const ushort RtmDelLink = 17;
    internal const ushort RtmGetLink = 18;
    internal const ushort RtmSetLink = 19;
    internal const ushort RtmNewAddr = 20;
    internal const ushort RtmDelAddr = 21;
    internal const ushort RtmGetAddr = 22;
    internal const ushort RtmNewRoute = 24;
    internal const ushort RtmDelRoute = 25;
    internal const ushort RtmGetRoute = 26;

    internal const ushort FlagRequest = 1;
    internal const ushort FlagAck = 4;
    internal const ushort FlagEcho = 8;
    internal const ushort FlagDump = 0x300;
    internal const ushort FlagExclusive = 0x200;
    internal const ushort FlagCreate = 0x400;
    internal const ushort FlagReplace = 0x100;

    private readonly NetlinkSocket _socket;

    private RtNetlink(NetlinkSocket socket) => _socket = socket;

    /// <summary>Opens a client in the calling thread's current network namespace.</summary>
    public static RtNetlink Open() => new(NetlinkSocket.Open());

    public void Dispose() => _socket.Dispose();

    private List<NetlinkReply> Request(NetlinkMessageBuilder message, string operation) => _socket.Request(message, operation);

    private static NetlinkMessageBuilder Message(ushort type, ushort flags) => new(type, (ushort)(FlagRequest | flags));

    private static int ReadInt32(ReadOnlyMemory<byte> payload, int offset) =>
        BinaryPrimitives.ReadInt32LittleEndian(payload.Span[offset..]);
}
