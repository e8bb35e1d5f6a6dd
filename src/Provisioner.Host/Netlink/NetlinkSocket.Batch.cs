using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Provisioner.Host.Netlink;

/// <summary>One message of a batch the kernel refused: its index in the batch (-1: the batch itself, e.g. its commit),
/// the positive errno, the extended ack's text and the offset (from the message's header) of the attribute at fault.</summary>
internal readonly record struct BatchError(int Message, int Errno, string? KernelMessage, int? AttributeOffset);

internal sealed partial class NetlinkSocket
{
    private const ushort MessageBatchBegin = 0x10; // NFNL_MSG_BATCH_BEGIN
    private const ushort MessageBatchEnd = 0x11;
    private const ushort FlagRequest = 1;
    private const ushort FlagAck = 4;
    private const ushort ExtAckOffset = 2; // NLMSGERR_ATTR_OFFS

    /// <summary>
    /// Sends <paramref name="messages"/> as one nfnetlink batch (BATCH_BEGIN, the messages, BATCH_END) in one sendmsg: one
    /// transaction of <paramref name="subsystem"/>, committed whole or not at all. The kernel runs a batch inside the
    /// sendmsg call, so every reply is queued when it returns: the errors (always sent) and the one ack asked for, on the
    /// last message. The send buffer is forced to the batch's size (SO_SNDBUFFORCE, root), as nft does. Returns the
    /// refused messages; empty means the batch was committed.
    /// </summary>
    public List<BatchError> SendBatch(IReadOnlyList<NetlinkMessageBuilder> messages, ushort subsystem, string operation)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (messages.Count == 0)
            return [];
        var first = _sequence + 1;
        _sequence += (uint)messages.Count + 2;
        messages[^1].AddFlags(FlagAck);
        var begin = new NetlinkMessageBuilder(MessageBatchBegin, FlagRequest).NfGen(0, subsystem);
        var end = new NetlinkMessageBuilder(MessageBatchEnd, FlagRequest).NfGen(0, subsystem);
        var batch = new byte[messages.Sum(m => m.Length) + begin.Length + end.Length];
        var at = 0;
        void Put(ReadOnlySpan<byte> message)
        {
            message.CopyTo(batch.AsSpan(at));
            at += message.Length;
        }
        Put(begin.Finish(first));
        for (var i = 0; i < messages.Count; i++)
            Put(messages[i].Finish(first + 1 + (uint)i));
        Put(end.Finish(first + 1 + (uint)messages.Count));
        ForceSendBuffer(batch.Length, operation);
        SendAll(batch, operation);
        return BatchReplies(first, first + (uint)messages.Count, operation);
    }

    /// <summary>
    /// <see cref="SendBatch(IReadOnlyList{NetlinkMessageBuilder}, ushort, string)"/> for messages already laid out in
    /// one buffer: <paramref name="buffer"/>[0..offsets[0]) is free for BATCH_BEGIN (20 bytes, 28 with a generation), the messages start at
    /// <paramref name="offsets"/> and end at <paramref name="end"/>, and 20 bytes after it are free for BATCH_END. A
    /// large batch in one array on the large-object heap costs the GC nothing to keep (150k small messages cost 0.5-1 s
    /// of gen1 copying). The sequence numbers and the last message's ack flag are written in place.
    /// </summary>
    public List<BatchError> SendBatch(byte[] buffer, IReadOnlyList<int> offsets, int end, ushort subsystem, string operation, uint? generation = null)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentNullException.ThrowIfNull(offsets);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (offsets.Count == 0)
            return [];
        var first = _sequence + 1;
        _sequence += (uint)offsets.Count + 2;
        // NFNL_BATCH_GENID: the kernel refuses the whole batch (ERESTART) if the ruleset moved past that generation
        var beginMessage = new NetlinkMessageBuilder(MessageBatchBegin, FlagRequest).NfGen(0, subsystem);
        if (generation is { } genid)
            beginMessage.AttributeBigEndian(1, genid);
        var begin = beginMessage.Finish(first);
        var start = offsets[0] - begin.Length;
        if (start < 0 || buffer.Length < end + 20)
            throw new ArgumentException("the batch buffer has no room for BATCH_BEGIN and BATCH_END", nameof(buffer));
        begin.CopyTo(buffer.AsSpan(start));
        for (var i = 0; i < offsets.Count; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(offsets[i] + 8), first + 1 + (uint)i);
        var lastFlags = buffer.AsSpan(offsets[^1] + 6);
        BinaryPrimitives.WriteUInt16LittleEndian(lastFlags, (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(lastFlags) | FlagAck));
        new NetlinkMessageBuilder(MessageBatchEnd, FlagRequest).NfGen(0, subsystem).Finish(first + 1 + (uint)offsets.Count).CopyTo(buffer.AsSpan(end));
        ForceSendBuffer(end + 20 - start, operation);
        SendAll(buffer.AsSpan(start, end + 20 - start), operation);
        return BatchReplies(first, first + (uint)offsets.Count, operation);
    }

    /// <summary>Drains the replies the batch left queued; the last message's ack must be among them.</summary>
    private List<BatchError> BatchReplies(uint begin, uint last, string operation)
    {
        var errors = new List<BatchError>();
        var acked = false;
        int received;
        while ((received = Receive(operation, wait: false)) > 0)
        {
            foreach (var (type, flags, sequence, payload) in Split(received, operation))
            {
                if (type != MessageError || sequence < begin || sequence > last || payload.Length < 4)
                    continue; // not this batch's
                var errno = -BinaryPrimitives.ReadInt32LittleEndian(payload.Span);
                if (errno == 0)
                {
                    acked |= sequence == last;
                    continue;
                }
                var ack = (flags & FlagAckTlvs) != 0 ? ExtendedAckAttributes(payload) : null;
                errors.Add(new BatchError((int)(sequence - begin) - 1, errno, ack?.String(ExtAckMessage), (int?)ack?.UInt32(ExtAckOffset)));
            }
        }
        if (!acked && errors.Count == 0)
            throw new NetlinkException($"{operation}: the kernel neither acknowledged the batch nor refused it");
        return errors;
    }

    private unsafe void ForceSendBuffer(int bytes, string operation)
    {
        var size = bytes + 64 * 1024;
        if (Libc.SetSockOpt(_fd, Libc.SolSocket, Libc.SoSndBufForce, &size, sizeof(int)) != 0)
            throw new NetlinkException($"{operation}: setsockopt(SO_SNDBUFFORCE, {size}) (a batch this large needs root)", Marshal.GetLastPInvokeError());
    }
}
