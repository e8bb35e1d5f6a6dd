using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Provisioner.Errors;
using Provisioner.Host.Namespaces;
using Provisioner.Host.Netlink;

namespace Provisioner.Host.Netfilter;

/// <summary>A legacy x_tables call failed (the message names the call, the table and the errno's text).</summary>
public sealed class XtablesException : NetlabException
{
    public XtablesException(string message, int errno = 0) : base(message) => Errno = errno;

    public XtablesException() : base("an x_tables call failed") { }

    public XtablesException(string message, Exception inner) : base(message, inner) { }

    public int Errno { get; }
}

/// <summary>
/// One legacy (x_tables) IPv4 table as the kernel hands it out (IPT_SO_GET_INFO + IPT_SO_GET_ENTRIES): the hooks it
/// serves, each built-in chain's first entry and policy entry (offsets into <see cref="Entries"/>), and the entries
/// themselves (struct ipt_entry each, counters as the kernel keeps them).
/// </summary>
public sealed record XtablesTable(string Name, uint ValidHooks, uint[] HookEntry, uint[] Underflow, uint EntryCount, byte[] Entries);

/// <summary>
/// The x_tables socket calls iptables-legacy makes (libiptc's TC_INIT and TC_COMMIT), on a raw IPv4 socket created
/// inside the network namespace the calls are for (a dedicated thread enters it, <see cref="NetworkNamespace.Run{T}"/>).
/// <see cref="WithSession{T}"/> holds the xtables lock (/run/xtables.lock, as iptables-legacy-restore --wait takes it) for the
/// read and the replace, so no iptables command writes between them.
/// </summary>
public static partial class XtablesLegacy
{
    private const int SolIp = 0;
    private const int IptSoSetReplace = 64;
    private const int IptSoGetInfo = 64;
    private const int IptSoGetEntries = 65;
    private const int IpProtoRaw = 255;
    private const int InfoSize = 84;
    /// <summary>struct ipt_replace up to entries[] (the counters pointer 8-aligned): the room a caller leaves before
    /// the entries in the buffer it hands to <see cref="Session.Replace(string, uint, uint[], uint[], uint, byte[], int, uint)"/>.</summary>
    public const int ReplaceHeader = 96;
    private const int GetEntriesHeader = 40; // struct ipt_get_entries: name[32], size, entries[] 8-aligned
    public const string LockPath = "/run/xtables.lock";

    /// <summary>Runs <paramref name="work"/> with an x_tables socket of the namespace at <paramref name="netnsPath"/>
    /// (null: the caller's), under the xtables lock (waiting at most <paramref name="lockWait"/> for it).</summary>
    public static T WithSession<T>(string? netnsPath, TimeSpan lockWait, Func<Session, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        using var lockFile = XtablesLock.Take(lockWait);
        T Run()
        {
            var fd = Libc.Socket(Libc.AfInet, Libc.SockRaw | Libc.SockCloexec, IpProtoRaw);
            if (fd < 0)
                throw new XtablesException($"socket(AF_INET, SOCK_RAW) for iptables-legacy tables: {Libc.Describe(Marshal.GetLastPInvokeError())}", Marshal.GetLastPInvokeError());
            try
            {
                return work(new Session(fd));
            }
            finally
            {
                _ = Libc.Close(fd);
            }
        }
        return NetworkNamespace.RunIn(netnsPath, Run);
    }

    /// <summary>An open x_tables socket (valid only inside <see cref="WithSession{T}"/>'s callback).</summary>
    public sealed class Session
    {
        private readonly int _fd;

        internal Session(int fd) => _fd = fd;

        /// <summary>The table as the kernel holds it (loading its module if needed, as iptables does).</summary>
        public unsafe XtablesTable Read(string table)
        {
            var info = new byte[InfoSize];
            WriteName(info, table);
            GetSockOpt(IptSoGetInfo, info, $"IPT_SO_GET_INFO of table {table}");
            var valid = BinaryPrimitives.ReadUInt32LittleEndian(info.AsSpan(32));
            var hooks = new uint[5];
            var under = new uint[5];
            for (var i = 0; i < 5; i++)
            {
                hooks[i] = BinaryPrimitives.ReadUInt32LittleEndian(info.AsSpan(36 + 4 * i));
                under[i] = BinaryPrimitives.ReadUInt32LittleEndian(info.AsSpan(56 + 4 * i));
            }
            var count = BinaryPrimitives.ReadUInt32LittleEndian(info.AsSpan(76));
            var size = (int)BinaryPrimitives.ReadUInt32LittleEndian(info.AsSpan(80));
            var entries = new byte[GetEntriesHeader + size];
            WriteName(entries, table);
            BinaryPrimitives.WriteUInt32LittleEndian(entries.AsSpan(32), (uint)size);
            GetSockOpt(IptSoGetEntries, entries, $"IPT_SO_GET_ENTRIES of table {table}");
            return new XtablesTable(table, valid, hooks, under, count, entries[GetEntriesHeader..]);
        }

        /// <summary>IPT_SO_SET_REPLACE of <paramref name="entries"/> (copied behind a header; see the other overload).</summary>
        public void Replace(string table, uint validHooks, uint[] hookEntry, uint[] underflow, uint entryCount,
            ReadOnlySpan<byte> entries, uint oldEntryCount)
        {
            var buffer = new byte[ReplaceHeader + entries.Length];
            entries.CopyTo(buffer.AsSpan(ReplaceHeader));
            Replace(table, validHooks, hookEntry, underflow, entryCount, buffer, entries.Length, oldEntryCount);
        }

        /// <summary>
        /// IPT_SO_SET_REPLACE: the table becomes the <paramref name="size"/> bytes of entries at offset
        /// <see cref="ReplaceHeader"/> of <paramref name="buffer"/> (the header is written in front of them in place:
        /// a 10k-service table is 66 MB, not copied again). <paramref name="oldEntryCount"/> is the entry count of the
        /// table being replaced (the kernel refuses with EAGAIN if it changed since).
        /// </summary>
        public unsafe void Replace(string table, uint validHooks, uint[] hookEntry, uint[] underflow, uint entryCount,
            byte[] buffer, int size, uint oldEntryCount)
        {
            ArgumentNullException.ThrowIfNull(hookEntry);
            ArgumentNullException.ThrowIfNull(underflow);
            ArgumentNullException.ThrowIfNull(buffer);
            if (buffer.Length < ReplaceHeader + size)
                throw new ArgumentException($"the buffer holds fewer than {ReplaceHeader} + {size} bytes", nameof(buffer));
            var header = buffer.AsSpan(0, ReplaceHeader);
            header.Clear();
            Encoding.ASCII.GetBytes(table, header);
            // struct ipt_replace: unlike ipt_getinfo, num_entries and size come before the hook offsets
            BinaryPrimitives.WriteUInt32LittleEndian(header[32..], validHooks);
            BinaryPrimitives.WriteUInt32LittleEndian(header[36..], entryCount);
            BinaryPrimitives.WriteUInt32LittleEndian(header[40..], (uint)size);
            for (var i = 0; i < 5; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(header[(44 + 4 * i)..], hookEntry[i]);
                BinaryPrimitives.WriteUInt32LittleEndian(header[(64 + 4 * i)..], underflow[i]);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(header[84..], oldEntryCount);
            var counters = new byte[Math.Max(16, 16 * (int)oldEntryCount)]; // the old table's counters come back here
            fixed (byte* counterPointer = counters)
            fixed (byte* pointer = buffer)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(header[88..], (ulong)counterPointer);
                if (Libc.SetSockOpt(_fd, SolIp, IptSoSetReplace, pointer, (uint)(ReplaceHeader + size)) != 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    throw new XtablesException($"IPT_SO_SET_REPLACE of table {table} ({entryCount} entries, {size} bytes) refused: " +
                        $"{Libc.Describe(errno)} (errno {errno}){(errno == 11 ? ": the table changed since it was read" : "")}", errno);
                }
            }
        }

        private unsafe void GetSockOpt(int option, byte[] buffer, string operation)
        {
            var length = (uint)buffer.Length;
            fixed (byte* pointer = buffer)
            {
                if (Libc.GetSockOpt(_fd, SolIp, option, pointer, &length) != 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    throw new XtablesException($"{operation}: {Libc.Describe(errno)} (errno {errno})", errno);
                }
            }
        }

        private static void WriteName(byte[] buffer, string table)
        {
            if (Encoding.ASCII.GetByteCount(table) >= 32)
                throw new ArgumentException($"table name '{table}' is longer than 31 bytes", nameof(table));
            Encoding.ASCII.GetBytes(table, buffer);
        }
    }

    /// <summary>flock(2) on /run/xtables.lock, which every iptables command of the host takes (the file is not per namespace).</summary>
    private sealed partial class XtablesLock : IDisposable
    {
        private const int LockExclusive = 2, LockNonBlocking = 4, OCreat = 0x40, ORdWr = 2;
        private readonly int _fd;

        private XtablesLock(int fd) => _fd = fd;

        public static XtablesLock Take(TimeSpan wait)
        {
            var fd = Open(LockPath, ORdWr | OCreat | Libc.OCloexec, 0x180);
            if (fd < 0)
                throw new XtablesException($"open {LockPath}: {Libc.Describe(Marshal.GetLastPInvokeError())}", Marshal.GetLastPInvokeError());
            var clock = Stopwatch.StartNew();
            while (Flock(fd, LockExclusive | LockNonBlocking) != 0)
            {
                if (clock.Elapsed >= wait)
                {
                    _ = Libc.Close(fd);
                    throw new XtablesException($"another iptables command held {LockPath} for {wait.TotalSeconds:0.#} s (ps -ef | grep iptables)");
                }
                Thread.Sleep(20);
            }
            return new XtablesLock(fd);
        }

        public void Dispose() => _ = Libc.Close(_fd); // closing the file releases the lock

        [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
        private static partial int Flock(int fd, int operation);

        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        private static partial int Open(string path, int flags, int mode);
    }
}
