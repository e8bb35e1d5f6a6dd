using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Provisioner.Host.Netlink;

/// <summary>One reply message: its type (e.g. RTM_NEWLINK) and the bytes after the 16-byte header.</summary>
internal readonly record struct NetlinkReply(ushort Type, ReadOnlyMemory<byte> Payload);

/// <summary>
/// A netlink socket (NETLINK_ROUTE unless another protocol is asked for). It belongs to the network namespace of the thread that created it, for its whole life,
/// whichever thread later uses it. Requests are synchronous: send, then read replies up to the ACK or DONE.
/// Not thread-safe.
/// </summary>
internal sealed partial class NetlinkSocket : IDisposable
{
    private const ushort MessageError = 2;
    private const ushort MessageDone = 3;
    private const ushort FlagMulti = 2;
    private const ushort FlagAckTlvs = 0x200;
    private const ushort ExtAckMessage = 1;

    private readonly int _fd;
    private readonly byte[] _receiveBuffer = new byte[64 * 1024];
    private uint _sequence = (uint)Environment.TickCount;
    private bool _disposed;

    private NetlinkSocket(int fd) => _fd = fd;

    /// <summary>Opens a socket in the calling thread's current network namespace.</summary>
    public static unsafe NetlinkSocket Open(int protocol = Libc.NetlinkRoute)
    {
        var fd = Libc.Socket(Libc.AfNetlink, Libc.SockRaw | Libc.SockCloexec, protocol);
        if (fd < 0)
            throw new NetlinkException("socket(AF_NETLINK)", Marshal.GetLastPInvokeError());
        var on = 1;
        // Ask the kernel for its human-readable reason on errors, without echoing our request back.
        _ = Libc.SetSockOpt(fd, Libc.SolNetlink, Libc.NetlinkExtAck, &on, sizeof(int));
        _ = Libc.SetSockOpt(fd, Libc.SolNetlink, Libc.NetlinkCapAck, &on, sizeof(int));
        return new NetlinkSocket(fd);
    }

    /// <summary>The cookie of the network namespace the socket lives in (SO_NETNS_COOKIE): unique for the boot, never reused.</summary>
    public unsafe ulong NamespaceCookie()
    {
        ulong cookie = 0;
        var length = (uint)sizeof(ulong);
        if (Libc.GetSockOpt(_fd, Libc.SolSocket, Libc.SoNetnsCookie, &cookie, &length) != 0)
            throw new NetlinkException("getsockopt(SO_NETNS_COOKIE)", Marshal.GetLastPInvokeError());
        return cookie;
    }

    /// <summary>Sends a request and returns its data replies; throws <see cref="NetlinkException"/> on a kernel error.</summary>
    public List<NetlinkReply> Request(NetlinkMessageBuilder message, string operation)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var sequence = ++_sequence;
        SendAll(message.Finish(sequence), operation);
        var replies = new List<NetlinkReply>();
        while (true)
        {
            foreach (var (type, flags, replySequence, payload) in Split(Receive(operation), operation))
            {
                if (replySequence != sequence)
                    continue; // a stale reply to an earlier request
                if (type == MessageDone)
                    return replies;
                if (type == MessageError)
                {
                    var errno = -BinaryPrimitives.ReadInt32LittleEndian(payload.Span);
                    if (errno == 0)
                        return replies; // the ACK
                    throw new NetlinkException(operation, errno, (flags & FlagAckTlvs) != 0 ? ExtendedAck(payload) : null);
                }
                replies.Add(new NetlinkReply(type, payload.ToArray()));
                if ((flags & FlagMulti) == 0)
                    return replies; // a single reply to a GET, no ACK follows
            }
        }
    }

    /// <summary>The messages of one received datagram: type, flags, sequence and the bytes after the header (in the
    /// receive buffer: valid until the next receive).</summary>
    private List<(ushort Type, ushort Flags, uint Sequence, ReadOnlyMemory<byte> Payload)> Split(int received, string operation)
    {
        var messages = new List<(ushort, ushort, uint, ReadOnlyMemory<byte>)>();
        for (var offset = 0; offset + 16 <= received;)
        {
            var header = _receiveBuffer.AsSpan(offset);
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(header);
            if (length < 16 || offset + length > received)
                throw new NetlinkException($"{operation}: truncated netlink reply");
            messages.Add((BinaryPrimitives.ReadUInt16LittleEndian(header[4..]), BinaryPrimitives.ReadUInt16LittleEndian(header[6..]),
                BinaryPrimitives.ReadUInt32LittleEndian(header[8..]), _receiveBuffer.AsMemory(offset + 16, length - 16)));
            offset += NetlinkMessageBuilder.Align(length);
        }
        return messages;
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _ = Libc.Close(_fd);
    }

    /// <summary>The NLMSGERR_ATTR_MSG text after errno and the capped original header.</summary>
    private static string? ExtendedAck(ReadOnlyMemory<byte> payload) => ExtendedAckAttributes(payload)?.String(ExtAckMessage);

    /// <summary>The extended ack's attributes (NLMSGERR_ATTR_*), after errno and the capped original header.</summary>
    private static Dictionary<ushort, ReadOnlyMemory<byte>>? ExtendedAckAttributes(ReadOnlyMemory<byte> payload) =>
        payload.Length <= 20 ? null : NetlinkAttributes.Parse(payload[20..]);

    private unsafe void SendAll(ReadOnlySpan<byte> message, string operation)
    {
        fixed (byte* pointer = message)
        {
            while (true)
            {
                var sent = Libc.Send(_fd, pointer, (nuint)message.Length, 0);
                if (sent >= 0)
                    return;
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Libc.EIntr)
                    throw new NetlinkException($"{operation}: send", errno);
            }
        }
    }

    /// <summary>Reads one datagram of replies; with <paramref name="wait"/> false, 0 when none is queued.</summary>
    private unsafe int Receive(string operation, bool wait = true)
    {
        fixed (byte* pointer = _receiveBuffer)
        {
            while (true)
            {
                var received = Libc.Recv(_fd, pointer, (nuint)_receiveBuffer.Length, wait ? 0 : Libc.MsgDontWait);
                if (received >= 0)
                    return (int)received;
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EAgain && !wait)
                    return 0;
                if (errno != Libc.EIntr)
                    throw new NetlinkException($"{operation}: recv", errno);
            }
        }
    }
}
