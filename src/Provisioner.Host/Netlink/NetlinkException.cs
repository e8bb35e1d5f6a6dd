using Provisioner.Errors;

namespace Provisioner.Host.Netlink;

/// <summary>
/// The kernel refused a netlink request (or a syscall failed). <see cref="Errno"/> is the positive errno
/// (e.g. 17 = EEXIST, 19 = ENODEV); the message names the operation and, when the kernel sent one, its extended ack text.
/// </summary>
public sealed class NetlinkException : NetlabException
{
    public const int EExist = 17;
    public const int ENoDev = 19;
    public const int ENoEnt = 2;
    public const int ESrch = 3;
    public const int EAddrNotAvail = 99;

    public NetlinkException(string operation, int errno, string? kernelMessage = null)
        : base(Format(operation, errno, kernelMessage))
    {
        Operation = operation;
        Errno = errno;
    }

    public NetlinkException() : base("netlink request failed") => Operation = "";

    public NetlinkException(string message) : base(message) => Operation = "";

    public NetlinkException(string message, Exception inner) : base(message, inner) => Operation = "";

    public string Operation { get; }

    public int Errno { get; }

    /// <summary>True when the object already exists (EEXIST).</summary>
    public bool AlreadyExists => Errno == EExist;

    /// <summary>True when the link, address or route asked for is not there (ENODEV, ENOENT, ESRCH, EADDRNOTAVAIL).</summary>
    public bool NotFound => Errno is ENoDev or ENoEnt or ESrch or EAddrNotAvail;

    private static string Format(string operation, int errno, string? kernelMessage) =>
        $"{operation}: {Libc.Describe(errno)} (errno {errno})" + (string.IsNullOrEmpty(kernelMessage) ? "" : $": {kernelMessage}");
}
