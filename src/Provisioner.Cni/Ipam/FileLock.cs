using System.Runtime.InteropServices;

namespace Provisioner.Cni.Ipam;

/// <summary>
/// An exclusive flock(2) on a lock file, held until disposed. The kernel drops it when the process dies, so a
/// plugin killed mid-ADD never leaves the network locked. (FileStream's own locking is non-blocking, hence libc.)
/// </summary>
internal sealed partial class FileLock : IDisposable
{
    private const int OReadWrite = 2;
    private const int OCreate = 0x40;
    private const int OCloexec = 0x80000;
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const int EWouldBlock = 11;

    private int _fd;

    private FileLock(int fd) => _fd = fd;

    /// <summary>Waits up to <paramref name="timeout"/> for the lock; null when another process holds it that long.</summary>
    public static FileLock? Acquire(string path, TimeSpan timeout)
    {
        var fd = Open(path, OReadWrite | OCreate | OCloexec, 0x1a4 /* 0644 */);
        if (fd < 0)
            throw new IOException($"cannot open lock file {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        var pause = 1;
        while (Flock(fd, LockExclusive | LockNonBlocking) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EWouldBlock && errno != 4 /* EINTR */)
            {
                _ = Close(fd);
                throw new IOException($"cannot lock {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
            if (Environment.TickCount64 > deadline)
            {
                _ = Close(fd);
                return null;
            }
            Thread.Sleep(pause);
            pause = Math.Min(pause * 2, 16);
        }
        return new FileLock(fd);
    }

    public void Dispose()
    {
        if (_fd < 0)
            return;
        _ = Close(_fd); // closing the last descriptor releases the flock
        _fd = -1;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
