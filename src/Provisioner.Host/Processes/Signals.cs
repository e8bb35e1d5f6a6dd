using Provisioner.Host.Netlink;

namespace Provisioner.Host.Processes;

/// <summary>Signals to a process by pid, with kill(2) (no <c>kill</c> program forked).</summary>
public static class Signals
{
    public const int Kill = 9;
    public const int Terminate = 15;

    /// <summary>Sends <paramref name="signal"/>; false when the process is gone (ESRCH) or may not be signalled.</summary>
    public static bool Send(int pid, int signal) => Libc.Kill(pid, signal) == 0;
}
