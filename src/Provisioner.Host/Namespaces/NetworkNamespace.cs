using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Provisioner.Host.Netlink;
using Provisioner.Errors;

namespace Provisioner.Host.Namespaces;

/// <summary>
/// An open handle on a network namespace (a file such as <c>/run/netns/pod1</c> or <c>/proc/1234/ns/net</c>).
/// Work runs inside it on a dedicated thread that enters it with setns(2), so the caller's threads never change
/// namespace. Holding the handle keeps the namespace alive. Dispose it.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    private int _fd;

    private NetworkNamespace(string path, int fd)
    {
        Path = path;
        _fd = fd;
    }

    public string Path { get; }

    /// <summary>The open file descriptor (for IFLA_NET_NS_FD).</summary>
    internal int Fd => _fd >= 0 ? _fd : throw new ObjectDisposedException(nameof(NetworkNamespace));

    /// <summary>Opens a namespace by path; throws <see cref="NamespaceNotFoundException"/> when the path does not exist.</summary>
    public static NetworkNamespace Open(string path)
    {
        var fd = Libc.Open(path, Libc.ORdonly | Libc.OCloexec);
        if (fd >= 0)
            return new NetworkNamespace(path, fd);
        var errno = Marshal.GetLastPInvokeError();
        if (errno == NetlinkException.ENoEnt)
            throw new NamespaceNotFoundException(path);
        throw new NetlinkException($"open network namespace {path}", errno);
    }

    /// <summary>The namespace the calling thread is in.</summary>
    public static NetworkNamespace Current() => Open("/proc/thread-self/ns/net");

    /// <summary>Runs <paramref name="action"/> inside the namespace at <paramref name="netnsPath"/> (see
    /// <see cref="Run{T}(Func{T})"/>), or on the calling thread when it is null (the caller's own namespace).</summary>
    public static T RunIn<T>(string? netnsPath, Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (netnsPath is null)
            return action();
        using var netns = Open(netnsPath);
        return netns.Run(action);
    }

    /// <summary>Runs <paramref name="action"/> on a new thread that has entered this namespace; exceptions are rethrown here.</summary>
    public T Run<T>(Func<T> action)
    {
        var fd = Fd;
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                if (Libc.SetNs(fd, Libc.CloneNewNet) != 0)
                    throw new NetlinkException($"setns into {Path}", Marshal.GetLastPInvokeError());
                result = action();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        }, maxStackSize: 256 * 1024) { IsBackground = true, Name = "netns " + Path };
        // The thread exits when done, so it never returns to a pool while inside another namespace.
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    /// <summary>Runs <paramref name="action"/> inside this namespace (see <see cref="Run{T}(Func{T})"/>).</summary>
    public void Run(Action action) => Run(() =>
    {
        action();
        return 0;
    });

    /// <summary>
    /// An rtnetlink client bound to this namespace: its socket is created inside, and a netlink socket keeps the
    /// namespace it was created in, so the client works from any thread.
    /// </summary>
    public RtNetlink OpenNetlink() => Run(RtNetlink.Open);

    public void Dispose()
    {
        if (_fd < 0)
            return;
        _ = Libc.Close(_fd);
        _fd = -1;
    }
}

/// <summary>The namespace path given does not exist (the pod or node is gone).</summary>
public sealed class NamespaceNotFoundException : NetlabException
{
    public NamespaceNotFoundException(string path) : base($"network namespace {path} does not exist") => Path = path;

    public NamespaceNotFoundException() : this("") { }

    public NamespaceNotFoundException(string message, Exception inner) : base(message, inner) => Path = "";

    public string Path { get; }
}
