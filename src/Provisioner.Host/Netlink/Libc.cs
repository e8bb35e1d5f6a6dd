using System.Runtime.InteropServices;

namespace Provisioner.Host.Netlink;

/// <summary>The few libc calls netlink and namespaces need; errors come back through Marshal.GetLastPInvokeError.</summary>
internal static partial class Libc
{
    public const int AfNetlink = 16;
    public const int AfInet = 2;
    public const int SockRaw = 3;
    public const int SockDgram = 2;
    public const int SockCloexec = 0x80000;
    public const int NetlinkRoute = 0;
    public const int NetlinkNetfilter = 12;
    public const int SolNetlink = 270;
    public const int NetlinkCapAck = 10;
    public const int NetlinkExtAck = 11;
    public const int ORdonly = 0;
    public const int OCloexec = 0x80000;
    public const int CloneNewNet = 0x40000000;
    public const int EIntr = 4;
    public const int EAgain = 11;
    public const int MsgDontWait = 0x40;
    public const int SoSndBufForce = 32;

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static unsafe partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    public static unsafe partial int GetSockOpt(int fd, int level, int name, void* value, uint* length);

    public const int SolSocket = 1;
    public const int SoNetnsCookie = 71;

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    public static unsafe partial nint Send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)]
    public static unsafe partial nint SendTo(int fd, byte* buffer, nuint length, int flags, void* address, uint addressLength);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    public static unsafe partial nint Recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(int fd, int nsType);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static unsafe partial int Ioctl(int fd, nuint request, void* argument);

    /// <summary>The text of an errno value, e.g. "File exists".</summary>
    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
